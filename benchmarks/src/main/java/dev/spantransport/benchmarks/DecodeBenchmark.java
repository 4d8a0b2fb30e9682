package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding OTLP batches of {@link BenchmarkSpans} back into SpanData. Score is batches per second:
 * spans per second = score x batchSize.
 *
 * <p>Each operation decodes the next of {@value #DISTINCT} distinct batches (distinct ids,
 * timestamps and high-cardinality attribute values; see {@link BenchmarkSpans#spans(int, int)}), so
 * a decoder's caches see what they would see on a stream of real batches, not one payload over and
 * over.
 *
 * <ul>
 *   <li>{@code span-transport}: {@link OtlpSpanDecoder#decode} straight from bytes.
 *   <li>{@code protobuf-java}: ExportTraceServiceRequest.parseFrom, then a plain conversion of the
 *       generated objects to SpanData.
 *   <li>{@code count-spans}: {@link OtlpSpanDecoder#countSpans}, the validating walk alone.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecodeBenchmark {
  @Param({"span-transport", "protobuf-java", "count-spans"})
  public String decoder;

  @Param({"1", "64", "512"})
  public int batchSize;

  /** Distinct batches decoded in turn. */
  static final int DISTINCT = 64;

  private byte[][] payloads;
  private int next;
  private OtlpSpanDecoder spanTransport;

  @Setup
  public void setUp() throws IOException {
    payloads = payloads(batchSize);
    spanTransport = new OtlpSpanDecoder();
    for (int i = 0; i < DISTINCT; i++) {
      if (decode() != batchSize) {
        throw new IllegalStateException(decoder + " did not decode " + batchSize + " spans");
      }
    }
  }

  /** {@value #DISTINCT} distinct encoded batches of {@code batchSize} spans. */
  static byte[][] payloads(int batchSize) {
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    byte[][] payloads = new byte[DISTINCT][];
    for (int i = 0; i < DISTINCT; i++) {
      payloads[i] = encoder.encode(BenchmarkSpans.spans(batchSize, i));
    }
    return payloads;
  }

  @Benchmark
  public Object decodeBatch() throws IOException {
    byte[] payload = payloads[next];
    next = (next + 1) & (DISTINCT - 1);
    switch (decoder) {
      case "span-transport":
        return spanTransport.decode(payload, 0, payload.length);
      case "protobuf-java":
        return ProtoConversion.toSpanData(ExportTraceServiceRequest.parseFrom(payload));
      case "count-spans":
        return OtlpSpanDecoder.countSpans(payload, 0, payload.length);
      default:
        throw new IllegalArgumentException("unknown decoder: " + decoder);
    }
  }

  private int decode() throws IOException {
    Object result = decodeBatch();
    return result instanceof List ? ((List<?>) result).size() : (Integer) result;
  }
}
