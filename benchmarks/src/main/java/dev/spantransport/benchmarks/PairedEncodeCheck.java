package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.exporter.internal.otlp.traces.LowAllocationTraceRequestMarshaler;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.List;

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
    PairedCheck check = new PairedCheck(args);
    Contenders contenders = new Contenders(BenchmarkSpans.spans(check.batchSize));
    check.run(CONTENDERS, "otel/this", contenders.length, contenders::run);
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
}
