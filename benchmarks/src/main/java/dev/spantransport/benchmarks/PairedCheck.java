package dev.spantransport.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * The measuring loop shared by {@link PairedEncodeCheck} and {@link PairedDecodeCheck}: warms every
 * contender up, sizes rounds to a CPU-time budget, runs the contenders in alternating order round
 * after round on one thread, and prints the median thread CPU time per batch and the median of the
 * per-round ratios to the first contender (the reference).
 */
final class PairedCheck {

  /** Runs one operation of the named contender. */
  interface Contender {
    void run(String name) throws IOException;
  }

  final int batchSize;
  final int rounds;
  final long nanosPerRound;

  /** Arguments: {@code [batchSize [rounds [millisPerRound]]]}, defaults 512, 40 and 100. */
  PairedCheck(String[] args) {
    batchSize = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    nanosPerRound = (args.length > 2 ? Long.parseLong(args[2]) : 100) * 1_000_000L;
  }

  /**
   * Measures and prints.
   *
   * @param names the contenders; the first is the reference of the ratio column
   * @param ratioLabel heading of the ratio column, e.g. {@code otel/this}
   * @param payloadBytes the OTLP payload size, printed in the heading
   * @param contender runs one operation of a contender
   */
  void run(String[] names, String ratioLabel, int payloadBytes, Contender contender)
      throws IOException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isCurrentThreadCpuTimeSupported()) {
      throw new IllegalStateException("thread CPU time is not supported on this JVM");
    }
    // Warm up every contender, and size each round so that it takes about nanosPerRound.
    int[] opsPerRound = new int[names.length];
    for (int c = 0; c < names.length; c++) {
      long deadline = System.nanoTime() + 3_000_000_000L;
      int ops = 0;
      long t0 = threads.getCurrentThreadCpuTime();
      while (System.nanoTime() < deadline) {
        contender.run(names[c]);
        ops++;
      }
      long perOp = Math.max(1, (threads.getCurrentThreadCpuTime() - t0) / ops);
      opsPerRound[c] = (int) Math.max(1, nanosPerRound / perOp);
    }

    double[][] perBatch = new double[names.length][rounds];
    for (int round = 0; round < rounds; round++) {
      // Alternate the order so that no contender always runs right after the same other one.
      for (int k = 0; k < names.length; k++) {
        int c = (round % 2 == 0) ? k : names.length - 1 - k;
        long t0 = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < opsPerRound[c]; i++) {
          contender.run(names[c]);
        }
        perBatch[c][round] = (threads.getCurrentThreadCpuTime() - t0) / (double) opsPerRound[c];
      }
    }

    System.out.printf(
        Locale.ROOT,
        "batchSize=%d rounds=%d payload=%d bytes (thread CPU time, median of rounds)%n",
        batchSize,
        rounds,
        payloadBytes);
    System.out.printf(
        Locale.ROOT, "%-20s %14s %14s %18s%n", "contender", "us/batch", "ns/span", ratioLabel);
    for (int c = 0; c < names.length; c++) {
      double[] ratios = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        ratios[round] = perBatch[0][round] / perBatch[c][round];
      }
      double median = quantile(perBatch[c], 0.5);
      System.out.printf(
          Locale.ROOT,
          "%-20s %14.1f %14.1f %11.2fx [%.2f-%.2f]%n",
          names[c],
          median / 1000.0,
          median / batchSize,
          quantile(ratios, 0.5),
          quantile(ratios, 0.25),
          quantile(ratios, 0.75));
    }
    System.out.println("ratio columns: median [25th-75th percentile] of per-round ratios");
  }

  private static double quantile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double index = q * (sorted.length - 1);
    int lo = (int) Math.floor(index);
    int hi = (int) Math.ceil(index);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (index - lo);
  }
}
