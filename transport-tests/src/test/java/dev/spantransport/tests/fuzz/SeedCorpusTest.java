package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checked-in seed corpus is exactly what {@link SeedCorpus} generates. Run with {@code
 * -Dseeds.write=true} to (re)write the corpus first.
 */
class SeedCorpusTest {

  @Test
  void checkedInSeedsMatchTheGenerator() throws Exception {
    Path module = Paths.get("");
    if (Boolean.getBoolean("seeds.write")) {
      SeedCorpus.main(new String[] {"."});
    }
    Map<Path, byte[]> seeds = SeedCorpus.generate(module);
    assertTrue(seeds.size() >= 20, "seed count: " + seeds.size());
    for (Map.Entry<Path, byte[]> seed : seeds.entrySet()) {
      Path file = module.resolve(seed.getKey());
      assertTrue(Files.isRegularFile(file), "missing seed " + file + ": run SeedCorpus");
      assertArrayEquals(
          seed.getValue(), Files.readAllBytes(file), "stale seed " + file + ": run SeedCorpus");
    }
  }
}
