package dev.spantransport.benchmarks;

import com.google.protobuf.CodedOutputStream;
import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.exporter.internal.otlp.traces.LowAllocationTraceRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.trace.data.SpanData;
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
 * Encoding one batch of {@link BenchmarkSpans} into a reused output buffer. Score is batches per
 * second: spans per second = score x batchSize.
 *
 * <ul>
 *   <li>{@code span-transport}: {@link OtlpSpanEncoder} prepare + writeTo.
 *   <li>{@code otel-low-allocation}: OpenTelemetry's LowAllocationTraceRequestMarshaler reused
 *       between ops (initialize, writeBinaryTo, reset), its REUSABLE_DATA path.
 *   <li>{@code otel-marshaler}: TraceRequestMarshaler.create + writeBinaryTo, the IMMUTABLE_DATA
 *       path.
 *   <li>{@code protobuf-java}: the request built with generated builders each op, then written.
 *   <li>{@code json}: a naive per-span JSON dump with Jackson's streaming generator.
 *   <li>{@code memcpy}: System.arraycopy of as many bytes as span-transport writes: the ceiling.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EncodeBenchmark {
  @Param({
    "span-transport",
    "otel-low-allocation",
    "otel-marshaler",
    "protobuf-java",
    "json",
    "memcpy"
  })
  public String encoder;

  @Param({"1", "64", "512"})
  public int batchSize;

  private List<SpanData> spans;
  private OtlpSpanEncoder spanTransport;
  private LowAllocationTraceRequestMarshaler lowAllocation;
  private JsonSpanWriter json;
  private ReusableOutputStream stream;
  private byte[] buffer;
  private byte[] source;
  private int length;

  @Setup
  public void setUp() throws IOException {
    spans = BenchmarkSpans.spans(batchSize);
    spanTransport = new OtlpSpanEncoder();
    lowAllocation = new LowAllocationTraceRequestMarshaler();
    json = new JsonSpanWriter();
    length = spanTransport.prepare(spans);
    buffer = new byte[length * 4 + 1024];
    source = spanTransport.encode(spans);
    stream = new ReusableOutputStream(length * 4 + 1024);
    int check = encode();
    if (check <= 0 && batchSize > 0) {
      throw new IllegalStateException(encoder + " wrote nothing");
    }
  }

  @Benchmark
  public int encode() throws IOException {
    switch (encoder) {
      case "span-transport":
        spanTransport.prepare(spans);
        return spanTransport.writeTo(buffer, 0);
      case "otel-low-allocation":
        stream.reset();
        lowAllocation.initialize(spans);
        try {
          lowAllocation.writeBinaryTo(stream);
        } finally {
          lowAllocation.reset();
        }
        return stream.size();
      case "otel-marshaler":
        stream.reset();
        TraceRequestMarshaler.create(spans).writeBinaryTo(stream);
        return stream.size();
      case "protobuf-java":
        {
          ExportTraceServiceRequest request = ProtoConversion.toProto(spans);
          CodedOutputStream out = CodedOutputStream.newInstance(buffer);
          request.writeTo(out);
          return out.getTotalBytesWritten();
        }
      case "json":
        stream.reset();
        json.write(spans, stream);
        return stream.size();
      case "memcpy":
        System.arraycopy(source, 0, buffer, 0, length);
        return length;
      default:
        throw new IllegalArgumentException("unknown encoder: " + encoder);
    }
  }
}
