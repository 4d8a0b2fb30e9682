package dev.spantransport.examples.demo;

import dev.spantransport.forwarder.dump.TraceTreePrinter;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The end-to-end demo: a host {@link SpanReceiver} on one hybrid-vsock Unix socket per guest (how
 * Firecracker and Cloud Hypervisor hosts see guest vsock connections: guest port P arrives on
 * {@code <uds_path>_P}), N guest JVMs each running {@link DemoGuest} (OTel SDK + {@code
 * VsockSpanExporter}), the host printing every trace as a tree labelled with its guest, then a
 * summary. Ends by itself within the timeout.
 *
 * <p>Arguments: {@code [--guests N] [--traces T] [--timeout SECONDS]}, defaults 3, 4 and 30. Exit
 * code 0 when every span of every guest arrived, 1 otherwise.
 */
public final class Demo {

  private static final int VSOCK_PORT = 10240;

  private Demo() {}

  /**
   * Runs the demo with the process's streams and exits with its exit code.
   *
   * @param args see the class comment
   */
  public static void main(String[] args) {
    // The receiver's start-up line would interrupt the trees; warnings still show.
    java.util.logging.Logger.getLogger("dev.spantransport")
        .setLevel(java.util.logging.Level.WARNING);
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the demo.
   *
   * @param args see the class comment
   * @param out where trees and the summary go
   * @param err where guest errors go
   * @return 0 when every span of every guest arrived, 1 otherwise, 2 for bad arguments
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    int guests = 3;
    int traces = 4;
    int timeout = 30;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--guests" -> guests = Integer.parseInt(args[++i]);
          case "--traces" -> traces = Integer.parseInt(args[++i]);
          case "--timeout" -> timeout = Integer.parseInt(args[++i]);
          default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
        }
      }
      if (guests < 1 || guests > 64 || traces < 1 || traces > 10_000 || timeout < 1) {
        throw new IllegalArgumentException(
            "--guests must be 1..64, --traces 1..10000, --timeout positive: "
                + String.join(" ", args));
      }
    } catch (RuntimeException e) {
      err.println("ERROR: " + e.getMessage());
      err.println("usage: Demo [--guests N] [--traces T] [--timeout SECONDS]");
      return 2;
    }
    try {
      Report report = run(guests, traces, Duration.ofSeconds(timeout), out, err);
      return report.complete() ? 0 : 1;
    } catch (IOException e) {
      err.println("ERROR: " + e.getMessage());
      return 1;
    }
  }

  /** What the demo saw: per guest, spans sent and spans printed; plus the receiver's counters. */
  record Report(
      Map<String, Integer> sent,
      Map<String, Long> printed,
      long received,
      long accepted,
      long dropped,
      boolean guestsSucceeded) {

    /** Whether every guest succeeded and every span it sent was printed. */
    boolean complete() {
      if (!guestsSucceeded) {
        return false;
      }
      for (Map.Entry<String, Integer> e : sent.entrySet()) {
        if (printed.getOrDefault(e.getKey(), 0L) != e.getValue().longValue()) {
          return false;
        }
      }
      return true;
    }
  }

  static Report run(int guests, int traces, Duration timeout, PrintStream out, PrintStream err)
      throws IOException {
    long startNanos = System.nanoTime();
    long deadline = startNanos + timeout.toNanos();
    Path dir = Files.createTempDirectory("span-transport-demo");
    // One hybrid-vsock socket per guest, as Firecracker gives each microVM its own: the socket path
    // the receiver reports is then each guest's identity.
    List<HybridVsockEndpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= guests; i++) {
      endpoints.add(new HybridVsockEndpoint(dir.resolve("vm-" + i + ".sock"), VSOCK_PORT));
    }
    TraceTreePrinter printer =
        TraceTreePrinter.builder(out).setQuietPeriod(Duration.ofMillis(300)).build();
    AckCounter counter = new AckCounter(SpanExporterSink.create(printer));
    SpanReceiverBuilder builder = SpanReceiver.builder();
    endpoints.forEach(builder::addEndpoint);
    SpanReceiver receiver =
        builder.addSink(counter).setShutdownTimeout(Duration.ofSeconds(5)).build();
    CompletableResultCode started = receiver.start();
    if (!started.isSuccess()) {
      deleteTree(dir);
      Throwable cause = started.getFailureThrowable();
      throw new IOException(
          "cannot listen on " + endpoints + (cause != null ? ": " + cause.getMessage() : ""),
          cause);
    }
    out.printf(
        Locale.ROOT,
        "host: SpanReceiver listening on %d hybrid-vsock sockets, one per guest VM, in %s%n"
            + "host: starting %d guest JVMs, %d traces each%n%n",
        endpoints.size(),
        dir,
        guests,
        traces);
    out.flush();

    Map<String, Integer> sent = new LinkedHashMap<>();
    boolean guestsSucceeded = true;
    List<Guest> running = new ArrayList<>();
    try {
      for (int i = 1; i <= guests; i++) {
        String name = "guest-" + i;
        String socket = endpoints.get(i - 1).unixSocketPath().toString();
        running.add(Guest.start(name, "unix:" + socket, traces, err));
      }
      for (Guest g : running) {
        long left = deadline - System.nanoTime();
        boolean exited = left > 0 && g.process.waitFor(left, TimeUnit.NANOSECONDS);
        if (!exited) {
          err.println("ERROR: " + g.name + " did not finish within " + timeout.toSeconds() + " s");
          guestsSucceeded = false;
          continue;
        }
        g.output.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, deadline - System.nanoTime())));
        if (g.process.exitValue() != 0 || g.spansSent < 0) {
          err.println(
              "ERROR: "
                  + g.name
                  + " failed (exit code "
                  + g.process.exitValue()
                  + "); its output is above");
          guestsSucceeded = false;
        }
        sent.put(g.name, Math.max(0, g.spansSent));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      guestsSucceeded = false;
    } finally {
      for (Guest g : running) {
        g.process.destroyForcibly();
      }
      // Shutting the receiver down shuts the printer down, which prints what it still holds.
      receiver.close();
      deleteTree(dir);
    }

    long elapsed = System.nanoTime() - startNanos;
    Map<String, Long> printed = new LinkedHashMap<>();
    printer.spansPerGuest().forEach((label, n) -> printed.merge(serviceOf(label), n, Long::sum));
    int totalSent = sent.values().stream().mapToInt(Integer::intValue).sum();
    out.println("summary");
    for (Map.Entry<String, Integer> e : sent.entrySet()) {
      out.printf(
          Locale.ROOT,
          "  %-10s sent %4d spans, host printed %4d%n",
          e.getKey(),
          e.getValue(),
          printed.getOrDefault(e.getKey(), 0L));
    }
    out.printf(
        Locale.ROOT,
        "  spans received=%d acked=%d dropped=%d (refused, resent later: %d)%n"
            + "  guests=%d traces=%d elapsed=%s throughput=%.0f spans/s (incl. JVM start-up)%n",
        counter.spans(),
        counter.accepted(),
        counter.dropped(),
        counter.refused(),
        guests,
        printer.tracesPrinted(),
        TraceTreePrinter.duration(elapsed),
        counter.spans() / (elapsed / 1e9));
    Report report =
        new Report(
            sent, printed, counter.spans(), counter.accepted(), counter.dropped(), guestsSucceeded);
    out.println(
        report.complete()
            ? "  OK: every span of every guest arrived (" + totalSent + ")"
            : "  FAILED: spans missing or a guest failed");
    out.flush();
    return report;
  }

  private static String serviceOf(String label) {
    int i = label.lastIndexOf(" · service ");
    return i < 0 ? label : label.substring(i + " · service ".length());
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A temp directory left behind is harmless.
    }
  }

  /** A guest JVM and the thread reading its output. */
  private static final class Guest {
    final String name;
    final Process process;
    final Thread output;
    volatile int spansSent = -1;

    private Guest(String name, Process process, PrintStream err) {
      this.name = name;
      this.process = process;
      this.output = new Thread(() -> pump(err), name + "-output");
      this.output.setDaemon(true);
      this.output.start();
    }

    static Guest start(String name, String endpoint, int traces, PrintStream err)
        throws IOException {
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> command = new ArrayList<>();
      command.add(java);
      if (Runtime.version().feature() >= 22) {
        command.add("--enable-native-access=ALL-UNNAMED");
      }
      command.add("-Xmx64m");
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(DemoGuest.class.getName());
      command.add(endpoint);
      command.add(name);
      command.add(String.valueOf(traces));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      return new Guest(name, p, err);
    }

    private void pump(PrintStream err) {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("SPANS_SENT ")) {
            spansSent = Integer.parseInt(line.substring("SPANS_SENT ".length()).trim());
          } else {
            err.println("[" + name + "] " + line);
          }
        }
      } catch (IOException | NumberFormatException e) {
        err.println("[" + name + "] output unreadable: " + e);
      }
    }
  }
}
