package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.exporter.internal.otlp.traces.LowAllocationTraceRequestMarshaler;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A noise-robust cross-check of {@link EncodeBenchmark}, not a replacement for it: the contenders
 * run in alternating rounds in one JVM, and each round is timed by the thread's own CPU time
 * ({@link ThreadMXBean#getCurrentThreadCpuTime}), so time the thread spends descheduled on a busy
 * machine is not counted, and a slow spell hits the contenders of neighbouring rounds alike. It
 * prints, per contender, the median CPU time per batch over the rounds, and the median of the
 * per-round ratios to OpenTelemetry's {@code LowAllocationTraceRequestMarshaler} (paired by round).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.PairedEncodeCheck \
 *     [batchSize=512] [rounds=40] [msPerRound=100]
 * </pre>
 *
 * What it does not see: GC work on other threads (which only the OpenTelemetry contender causes, so
 * the ratio it prints errs in OpenTelemetry's favour), and JIT effects that JMH's forks and
 * blackholes control for. Use JMH for absolute figures; use this to check that a ratio is real.
 */
public final class PairedEncodeCheck {
  private static final String[] CONTENDERS = {"otel-low-allocation", "span-transport"};

  private static volatile int sink;

  private PairedEncodeCheck() {}

  public static void main(String[] args) throws IOException {
    int batchSize = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    long nanosPerRound = (args.length > 2 ? Long.parseLong(args[2]) : 100) * 1_000_000L;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isCurrentThreadCpuTimeSupported()) {
      throw new IllegalStateException("thread CPU time is not supported on this JVM");
    }
    List<SpanData> spans = BenchmarkSpans.spans(batchSize);
    Contenders contenders = new Contenders(spans);

    // Warm up every contender, and size each round so that it takes about nanosPerRound.
    int[] opsPerRound = new int[CONTENDERS.length];
    for (int c = 0; c < CONTENDERS.length; c++) {
      long deadline = System.nanoTime() + 3_000_000_000L;
      int ops = 0;
      long t0 = threads.getCurrentThreadCpuTime();
      while (System.nanoTime() < deadline) {
        contenders.run(CONTENDERS[c]);
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
          contenders.run(CONTENDERS[c]);
        }
        perBatch[c][round] = (threads.getCurrentThreadCpuTime() - t0) / (double) opsPerRound[c];
      }
    }

    System.out.printf(
        Locale.ROOT,
        "batchSize=%d rounds=%d payload=%d bytes (thread CPU time, median of rounds)%n",
        batchSize,
        rounds,
        contenders.length);
    System.out.printf(
        Locale.ROOT, "%-20s %14s %14s %18s%n", "contender", "us/batch", "ns/span", "otel/this");
    for (int c = 0; c < CONTENDERS.length; c++) {
      double[] ratios = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        ratios[round] = perBatch[0][round] / perBatch[c][round];
      }
      double median = median(perBatch[c]);
      System.out.printf(
          Locale.ROOT,
          "%-20s %14.1f %14.1f %11.2fx [%.2f-%.2f]%n",
          CONTENDERS[c],
          median / 1000.0,
          median / batchSize,
          median(ratios),
          quantile(ratios, 0.25),
          quantile(ratios, 0.75));
    }
    System.out.println("ratio columns: median [25th-75th percentile] of per-round ratios");
  }

  /** The two encoders of {@link EncodeBenchmark}, set up the same way. */
  private static final class Contenders {
    final List<SpanData> spans;
    final OtlpSpanEncoder spanTransport = new OtlpSpanEncoder();
    final LowAllocationTraceRequestMarshaler lowAllocation =
        new LowAllocationTraceRequestMarshaler();
    final ReusableOutputStream stream;
    final byte[] buffer;
    final int length;

    Contenders(List<SpanData> spans) {
      this.spans = spans;
      length = spanTransport.prepare(spans);
      buffer = new byte[length * 4 + 1024];
      stream = new ReusableOutputStream(length * 4 + 1024);
    }

    void run(String contender) throws IOException {
      int written;
      switch (contender) {
        case "span-transport":
          spanTransport.prepare(spans);
          written = spanTransport.writeTo(buffer, 0);
          break;
        case "otel-low-allocation":
          stream.reset();
          lowAllocation.initialize(spans);
          try {
            lowAllocation.writeBinaryTo(stream);
          } finally {
            lowAllocation.reset();
          }
          written = stream.size();
          break;
        default:
          throw new IllegalArgumentException("unknown contender: " + contender);
      }
      if (written != length) {
        throw new IllegalStateException(contender + " wrote " + written + " bytes, not " + length);
      }
      sink = written;
    }
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
