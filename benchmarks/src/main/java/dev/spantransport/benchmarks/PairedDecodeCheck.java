package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A noise-robust cross-check of {@link DecodeBenchmark}, not a replacement for it: the contenders
 * run in alternating rounds in one JVM, and each round is timed by the thread's own CPU time
 * ({@link ThreadMXBean#getCurrentThreadCpuTime}), so time the thread spends descheduled on a busy
 * machine is not counted, and a slow spell hits the contenders of neighbouring rounds alike. It
 * prints, per contender, the median CPU time per batch over the rounds, and the median of the
 * per-round ratios to protobuf-java (paired by round).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.PairedDecodeCheck \
 *     [batchSize=512] [rounds=40] [msPerRound=100]
 * </pre>
 *
 * What it does not see: GC work on other threads, and JIT effects that JMH's forks and blackholes
 * control for. Use JMH for absolute figures; use this to check that a ratio is real.
 */
public final class PairedDecodeCheck {
  private static final String[] CONTENDERS = {"protobuf-java", "span-transport", "count-spans"};

  private static volatile Object sink;

  private PairedDecodeCheck() {}

  public static void main(String[] args) throws IOException {
    int batchSize = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    long nanosPerRound = (args.length > 2 ? Long.parseLong(args[2]) : 100) * 1_000_000L;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isCurrentThreadCpuTimeSupported()) {
      throw new IllegalStateException("thread CPU time is not supported on this JVM");
    }
    byte[] payload = new OtlpSpanEncoder().encode(BenchmarkSpans.spans(batchSize));
    OtlpSpanDecoder decoder = new OtlpSpanDecoder();

    // Warm up every contender, and size each round so that it takes about nanosPerRound.
    int[] opsPerRound = new int[CONTENDERS.length];
    for (int c = 0; c < CONTENDERS.length; c++) {
      long deadline = System.nanoTime() + 3_000_000_000L;
      int ops = 0;
      long t0 = threads.getCurrentThreadCpuTime();
      while (System.nanoTime() < deadline) {
        run(CONTENDERS[c], decoder, payload, batchSize);
        ops++;
      }
      long perOp = Math.max(1, (threads.getCurrentThreadCpuTime() - t0) / ops);
      opsPerRound[c] = (int) Math.max(1, nanosPerRound / perOp);
    }

    double[][] perBatch = new double[CONTENDERS.length][rounds];
    for (int round = 0; round < rounds; round++) {
      // Alternate the order so that neither contender always runs right after the other.
      for (int k = 0; k < CONTENDERS.length; k++) {
        int c = (round % 2 == 0) ? k : CONTENDERS.length - 1 - k;
        long t0 = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < opsPerRound[c]; i++) {
          run(CONTENDERS[c], decoder, payload, batchSize);
        }
        perBatch[c][round] = (threads.getCurrentThreadCpuTime() - t0) / (double) opsPerRound[c];
      }
    }

    System.out.printf(
        Locale.ROOT,
        "batchSize=%d rounds=%d payload=%d bytes (thread CPU time, median of rounds)%n",
        batchSize,
        rounds,
        payload.length);
    System.out.printf(
        Locale.ROOT, "%-16s %14s %14s %18s%n", "contender", "us/batch", "ns/span", "protobuf/this");
    for (int c = 0; c < CONTENDERS.length; c++) {
      double[] ratios = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        ratios[round] = perBatch[0][round] / perBatch[c][round];
      }
      double median = median(perBatch[c]);
      System.out.printf(
          Locale.ROOT,
          "%-16s %14.1f %14.1f %11.2fx [%.2f-%.2f]%n",
          CONTENDERS[c],
          median / 1000.0,
          median / batchSize,
          median(ratios),
          quantile(ratios, 0.25),
          quantile(ratios, 0.75));
    }
    System.out.println("ratio columns: median [25th-75th percentile] of per-round ratios");
  }

  private static void run(String contender, OtlpSpanDecoder decoder, byte[] payload, int batchSize)
      throws IOException {
    Object result;
    switch (contender) {
      case "span-transport":
        result = decoder.decode(payload, 0, payload.length);
        break;
      case "protobuf-java":
        result = ProtoConversion.toSpanData(ExportTraceServiceRequest.parseFrom(payload));
        break;
      case "count-spans":
        result = OtlpSpanDecoder.countSpans(payload, 0, payload.length);
        break;
      default:
        throw new IllegalArgumentException("unknown contender: " + contender);
    }
    int n = result instanceof List ? ((List<?>) result).size() : (Integer) result;
    if (n != batchSize) {
      throw new IllegalStateException(contender + " decoded " + n + " spans, not " + batchSize);
    }
    sink = result;
  }

  private static double median(double[] values) {
    return quantile(values, 0.5);
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
