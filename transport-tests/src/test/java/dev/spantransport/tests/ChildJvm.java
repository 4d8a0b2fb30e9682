package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test-scope main class run in its own JVM on the test class path; its stdout lines are queued
 * for {@link #awaitLine}, its stderr goes to a log file.
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Writer stdin;
  private final Path log;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // process gone
              }
            },
            "child-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildJvm start(Class<?> main, String maxHeap, Map<String, String> props, Path log)
      throws IOException {
    return start(main, maxHeap, props, log, List.of());
  }

  /** As {@link #start(Class, String, Map, Path)}, with program arguments. */
  static ChildJvm start(
      Class<?> main, String maxHeap, Map<String, String> props, Path log, List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + maxHeap);
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Xshare:auto");
    for (Map.Entry<String, String> e : new HashMap<>(props).entrySet()) {
      command.add("-D" + e.getKey() + "=" + e.getValue());
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new ChildJvm(pb.start(), log);
  }

  /**
   * Returns the first stdout line starting with {@code prefix}, skipping others; fails at timeout.
   */
  String awaitLine(String prefix, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        fail(
            "no line starting with '"
                + prefix
                + "' within "
                + timeout
                + " from pid "
                + process.pid()
                + " (alive="
                + process.isAlive()
                + "); its stderr is in "
                + log);
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  void send(String line) throws IOException {
    stdin.write(line + "\n");
    stdin.flush();
  }

  /** Sends {@code stats} and returns the answer's key=value pairs. */
  Map<String, Long> stats() throws IOException, InterruptedException {
    return stats("stats");
  }

  /** Sends {@code command} and returns the key=value pairs of the {@code STATS} line it prints. */
  Map<String, Long> stats(String command) throws IOException, InterruptedException {
    send(command);
    String line = awaitLine("STATS ", Duration.ofSeconds(30));
    Map<String, Long> out = new HashMap<>();
    for (String kv : line.substring(6).split(" ")) {
      int eq = kv.indexOf('=');
      out.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
    }
    return out;
  }

  /** SIGKILL, then waits (bounded) for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      fail("pid " + process.pid() + " survived SIGKILL for 30 s");
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Sends a POSIX signal ({@code STOP}, {@code CONT}, ...) to the child with {@code kill}. */
  void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      fail("kill -" + name + " " + process.pid() + " failed");
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      try {
        send("exit");
      } catch (IOException e) {
        // already going
      }
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
