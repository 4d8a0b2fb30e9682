package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The forwarder as an operator runs it, in its own process: SIGTERM (systemd, Kubernetes) and
 * SIGINT (Ctrl-C) stop it cleanly, with exit code 0 and the final counters logged, as its help
 * says.
 */
class ForwarderSignalTest {

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"TERM", "INT"})
  void stopSignalExitsZeroAndLogsTheFinalCounters(String signal) throws Exception {
    // A process started with a signal ignored keeps it ignored (POSIX: background jobs of a
    // non-interactive shell and nohup ignore SIGINT), and the forwarder inherits that from us.
    assumeFalse(
        "INT".equals(signal) && ignoredHere(2),
        "SIGINT is ignored by this test's process (run in the background?); so would the forwarder");
    Path socket = dir.resolve("listen.sock");
    Path err = dir.resolve("stderr.txt");
    Process forwarder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Forwarder.class.getName(),
                "--dump-only",
                "--listen",
                "unix:" + socket)
            .redirectError(err.toFile())
            .redirectOutput(dir.resolve("stdout.txt").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!log(err).contains("listening on") && System.nanoTime() < deadline) {
        assertTrue(forwarder.isAlive(), "forwarder died at start-up:\n" + log(err));
        Thread.sleep(20);
      }
      assertTrue(log(err).contains("listening on"), log(err));

      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(forwarder.pid())).start();
      assertEquals(0, kill.waitFor());

      assertTrue(forwarder.waitFor(60, TimeUnit.SECONDS), "forwarder did not stop");
      assertEquals(0, forwarder.exitValue(), log(err));
      String text = log(err);
      assertTrue(text.contains("stopped after"), "no final counters line:\n" + text);
      assertTrue(text.contains("spans received="), "the final line carries the counters:\n" + text);
    } finally {
      forwarder.destroyForcibly();
    }
  }

  /** Whether this process ignores signal {@code number} ({@code SigIgn} of /proc/self/status). */
  private static boolean ignoredHere(int number) throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
      if (line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16);
        return (mask & (1L << (number - 1))) != 0;
      }
    }
    return false;
  }

  private static String log(Path file) throws IOException {
    return Files.exists(file)
        ? String.join("\n", Files.readAllLines(file, StandardCharsets.UTF_8))
        : "";
  }
}
