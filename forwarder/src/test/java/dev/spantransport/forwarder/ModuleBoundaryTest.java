package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every module uses only the public API of the modules it builds on: no main source file of
 * transport-vsock, the forwarder, the Kafka sink or the examples imports an {@code internal}
 * package other than its own module's. (What another module keeps internal may change in any
 * release; what they need is public API.)
 */
class ModuleBoundaryTest {

  private static final Pattern INTERNAL_IMPORT =
      Pattern.compile(
          "^import\\s+(?:static\\s+)?(dev\\.spantransport\\.[\\w.]*\\.internal\\b[\\w.]*)");

  @Test
  void forwarderImportsNoOtherModulesInternalPackage() {
    assertEquals(
        List.of(),
        foreignInternalImports(Path.of("src/main/java"), "dev.spantransport.forwarder."));
  }

  @Test
  void kafkaSinkImportsNoOtherModulesInternalPackage() {
    assertEquals(
        List.of(),
        foreignInternalImports(
            Path.of("../sink-kafka/src/main/java"), "dev.spantransport.sink.kafka."));
  }

  @Test
  void vsockModuleImportsNoOtherModulesInternalPackage() {
    assertEquals(
        List.of(),
        foreignInternalImports(
            Path.of("../transport-vsock/src/main/java"), "dev.spantransport.vsock."));
  }

  @Test
  void examplesImportNoInternalPackage() {
    assertEquals(
        List.of(),
        foreignInternalImports(
            Path.of("../examples/src/main/java"), "dev.spantransport.examples."));
  }

  @Test
  void theCheckSeesAForeignInternalImport() throws IOException {
    Path dir = Files.createTempDirectory("boundary");
    try {
      Files.writeString(
          dir.resolve("A.java"),
          "package dev.spantransport.forwarder;\n"
              + "import dev.spantransport.forwarder.internal.Own;\n"
              + "import static dev.spantransport.codec.internal.ProtoWire.tag;\n");
      assertEquals(
          List.of("A.java: dev.spantransport.codec.internal.ProtoWire.tag"),
          foreignInternalImports(dir, "dev.spantransport.forwarder."));
    } finally {
      Files.delete(dir.resolve("A.java"));
      Files.delete(dir);
    }
  }

  /** Every import of an internal package outside {@code ownPrefix}, as "file: package.Class". */
  private static List<String> foreignInternalImports(Path root, String ownPrefix) {
    assertTrue(Files.isDirectory(root), "sources not found at " + root.toAbsolutePath());
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file :
          (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        for (String line : Files.readAllLines(file)) {
          Matcher m = INTERNAL_IMPORT.matcher(line.strip());
          if (m.find() && !m.group(1).startsWith(ownPrefix)) {
            found.add(root.relativize(file) + ": " + m.group(1));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return found;
  }
}
