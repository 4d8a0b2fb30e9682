package dev.spantransport.tests.adversity;

import dev.spantransport.forwarder.Forwarder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real forwarder ({@code Forwarder.main}) in a JVM of its own, on the test class path, with its
 * stdout and stderr captured byte for byte in files, so a test sees exactly what a terminal would.
 */
public final class ForwarderProcess implements AutoCloseable {

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ForwarderProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts the forwarder with {@code args}; its streams go to {@code forwarder.out} and {@code
   * forwarder.err} in {@code dir}. Returns once it logged that it listens.
   */
  public static ForwarderProcess start(Path dir, List<String> args, Duration timeout)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (Runtime.version().feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    command.add("-Xmx256m");
    command.add("-XX:TieredStopAtLevel=1");
    // UTF-8 on both streams whatever the locale, so a C1 control character is written as its
    // UTF-8 bytes and can be seen, instead of being replaced by '?' on an ASCII console.
    command.add("-Dfile.encoding=UTF-8");
    command.add("-Dsun.stdout.encoding=UTF-8");
    command.add("-Dsun.stderr.encoding=UTF-8");
    command.add("-Dstdout.encoding=UTF-8");
    command.add("-Dstderr.encoding=UTF-8");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Forwarder.class.getName());
    command.addAll(args);
    Path out = dir.resolve("forwarder.out");
    Path err = dir.resolve("forwarder.err");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    ForwarderProcess forwarder = new ForwarderProcess(process, out, err);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!forwarder.stderrText().contains("listening on ")) {
      if (!process.isAlive() || System.nanoTime() - deadline > 0) {
        forwarder.close();
        throw new IllegalStateException(
            "forwarder did not start listening within "
                + timeout
                + " (alive="
                + process.isAlive()
                + "); its stderr:\n"
                + forwarder.stderrText());
      }
      Thread.sleep(50); // polling the log file, not an assertion
    }
    return forwarder;
  }

  /** Asks the forwarder to stop (SIGTERM, as an operator would) and returns its exit code. */
  public int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException("forwarder did not stop within " + timeout + " of SIGTERM");
    }
    return process.exitValue();
  }

  /** Everything the forwarder wrote to stdout so far. */
  public byte[] stdout() throws IOException {
    return Files.readAllBytes(stdout);
  }

  /** Everything the forwarder wrote to stderr (its log) so far. */
  public byte[] stderr() throws IOException {
    return Files.readAllBytes(stderr);
  }

  private String stderrText() throws IOException {
    return new String(stderr(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
