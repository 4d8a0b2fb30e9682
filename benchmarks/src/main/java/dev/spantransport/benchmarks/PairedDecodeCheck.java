package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanDecoder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.util.List;

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
    PairedCheck check = new PairedCheck(args);
    // the same distinct batches as DecodeBenchmark, taken in turn
    byte[][] payloads = DecodeBenchmark.payloads(check.batchSize);
    int[] next = new int[1];
    OtlpSpanDecoder decoder = new OtlpSpanDecoder();
    check.run(
        CONTENDERS,
        "protobuf/this",
        payloads[0].length,
        name -> {
          byte[] payload = payloads[next[0]];
          next[0] = (next[0] + 1) % payloads.length;
          run(name, decoder, payload, check.batchSize);
        });
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
}
