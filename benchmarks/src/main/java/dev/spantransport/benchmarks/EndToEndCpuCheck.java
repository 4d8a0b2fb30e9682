package dev.spantransport.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A cross-check of {@link EndToEndBenchmark} for a busy, shared machine: the same four paths, set
 * up side by side in one JVM, run in alternating rounds, each round charged with the process CPU
 * time it used (every thread: guests, host, GC, JIT), so time spent waiting for a core does not
 * count. It prints, per path, the median CPU nanoseconds per answered span over the rounds and the
 * spans that one CPU-second carries, with ratios to {@code raw-socket} and to the better OTLP
 * baseline. Warm-up is a number of batches, not a time, so the JIT has compiled the hot paths
 * however little CPU the machine gives.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.EndToEndCpuCheck \
 *     [batchSize=512] [guests=1] [warmupBatches=400] [rounds=5] [batchesPerRound=100] [paths]
 * </pre>
 *
 * <p>{@code paths} (comma-separated) runs a subset, e.g. {@code span-transport} alone under a
 * profiler; the ratio columns then show only what was run.
 *
 * <p>It then prints where each path's CPU went, by thread role (the application thread that
 * exports, the exporter's I/O thread, the receiver's loop, readers, senders), so the profile behind
 * a figure can be read without a profiler, and the bytes each role allocates per batch.
 *
 * <p>What it does not show: latency and parallelism. Wall-clock spans/s come from the JMH
 * benchmark.
 */
public final class EndToEndCpuCheck {
  private static final String ALL_PATHS = "span-transport,raw-socket,otlp-http,otlp-grpc";

  private EndToEndCpuCheck() {}

  /**
   * Runs the check and prints the table.
   *
   * @param args see the class javadoc
   * @throws Exception if a path fails
   */
  public static void main(String[] args) throws Exception {
    int batchSize = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    int guests = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 400;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    int perRound = args.length > 4 ? Integer.parseInt(args[4]) : 100;
    String[] paths = (args.length > 5 ? args[5] : ALL_PATHS).split(",");
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    // read around each round for the exporting thread: looking the bean up allocates
    com.sun.management.ThreadMXBean allocation =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    EndToEndBenchmark[] benchmarks = new EndToEndBenchmark[paths.length];
    EndToEndBenchmark.Counters counters = new EndToEndBenchmark.Counters();
    double[][] nsPerSpan = new double[paths.length][rounds];
    List<Map<String, Double>> byRole = new ArrayList<>();
    List<Map<String, Double>> allocatedByRole = new ArrayList<>();
    for (int p = 0; p < paths.length; p++) {
      byRole.add(new TreeMap<>());
      allocatedByRole.add(new TreeMap<>());
    }
    try {
      for (int p = 0; p < paths.length; p++) {
        EndToEndBenchmark b = new EndToEndBenchmark();
        b.batchSize = batchSize;
        b.guests = guests;
        b.path = paths[p];
        b.setUp();
        benchmarks[p] = b;
        for (int i = 0; i < warmup; i++) {
          b.deliver(counters);
        }
        b.drainIteration();
      }
      for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < paths.length; k++) {
          int p = (k + r) % paths.length; // rotate the order so no path always goes first
          EndToEndBenchmark b = benchmarks[p];
          Map<Long, Long> threads0 = threadCpu();
          Map<Long, Long> allocated0 = threadAllocated();
          long cpu0 = os.getProcessCpuTime();
          long self0 = allocation.getThreadAllocatedBytes(self);
          for (int i = 0; i < perRound; i++) {
            b.deliver(counters);
          }
          b.drainIteration();
          long self1 = allocation.getThreadAllocatedBytes(self);
          long cpu1 = os.getProcessCpuTime();
          Map<Long, Long> threads1 = threadCpu();
          Map<Long, Long> allocated1 = threadAllocated();
          // this thread exports; the snapshots' own maps must not count as its allocation
          allocated0.put(self, self0);
          allocated1.put(self, self1);
          long spans = (long) perRound * batchSize * guests;
          nsPerSpan[p][r] = (double) (cpu1 - cpu0) / spans;
          addByRole(byRole.get(p), threads0, threads1, spans);
          addByRole(allocatedByRole.get(p), allocated0, allocated1, (long) perRound * guests);
        }
      }
    } finally {
      for (EndToEndBenchmark b : benchmarks) {
        if (b != null) {
          b.tearDown();
        }
      }
    }
    double[] median = new double[paths.length];
    for (int p = 0; p < paths.length; p++) {
      double[] sorted = nsPerSpan[p].clone();
      Arrays.sort(sorted);
      median[p] = sorted[sorted.length / 2];
    }
    double raw = Double.NaN;
    double bestOtlp = Double.POSITIVE_INFINITY;
    for (int p = 0; p < paths.length; p++) {
      if (paths[p].equals("raw-socket")) {
        raw = median[p];
      } else if (paths[p].startsWith("otlp-")) {
        bestOtlp = Math.min(bestOtlp, median[p]);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%nbatch=%d guests=%d, %d warm-up batches, median of %d rounds x %d batches%n",
        batchSize,
        guests,
        warmup,
        rounds,
        perRound);
    System.out.printf(
        Locale.ROOT,
        "%-15s %14s %18s %14s %14s%n",
        "path",
        "CPU ns/span",
        "spans/CPU-second",
        "x raw-socket",
        "x best OTLP");
    for (int p = 0; p < paths.length; p++) {
      System.out.printf(
          Locale.ROOT,
          "%-15s %,14.0f %,18.0f %14.2f %14.1f%n",
          paths[p],
          median[p],
          1e9 / median[p],
          raw / median[p],
          bestOtlp / median[p]);
    }
    System.out.printf(
        Locale.ROOT,
        "%nwhere the CPU goes: mean ns per span by thread (digits in names folded), over all rounds;"
            + " the rest of the process CPU is GC, JIT and threads that ended%n");
    for (int p = 0; p < paths.length; p++) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-15s", paths[p]));
      byRole.get(p).entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .filter(e -> e.getValue() / rounds >= 5)
          .forEach(
              e ->
                  line.append(
                      String.format(Locale.ROOT, "  %s %,.0f", e.getKey(), e.getValue() / rounds)));
      System.out.println(line);
    }
    System.out.printf(
        Locale.ROOT,
        "%nbytes allocated per batch by thread (mean over all rounds; threads under 1 left out)%n");
    for (int p = 0; p < paths.length; p++) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-15s", paths[p]));
      allocatedByRole.get(p).entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .filter(e -> e.getValue() / rounds >= 1)
          .forEach(
              e ->
                  line.append(
                      String.format(Locale.ROOT, "  %s %,.0f", e.getKey(), e.getValue() / rounds)));
      System.out.println(line);
    }
  }

  /** Bytes allocated by every live thread so far, by thread id. */
  private static Map<Long, Long> threadAllocated() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = threads.getAllThreadIds();
    long[] bytes = threads.getThreadAllocatedBytes(ids);
    Map<Long, Long> allocated = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (bytes[i] >= 0) {
        allocated.put(ids[i], bytes[i]);
      }
    }
    return allocated;
  }

  /** CPU time of every live thread, by thread id. */
  private static Map<Long, Long> threadCpu() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      if (t >= 0) {
        cpu.put(id, t);
      }
    }
    return cpu;
  }

  /**
   * Adds each thread's growth between two snapshots (CPU time or bytes allocated), divided by
   * {@code units}, to its role (its folded name).
   */
  private static void addByRole(
      Map<String, Double> roles, Map<Long, Long> before, Map<Long, Long> after, long units) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      ThreadInfo info = threads.getThreadInfo(e.getKey());
      if (delta <= 0 || info == null) {
        continue;
      }
      String role = info.getThreadName().replaceAll("[0-9]+", "N");
      roles.merge(role, (double) delta / units, Double::sum);
    }
  }
}
