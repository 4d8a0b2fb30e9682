package dev.spantransport.tests;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Spans numbered by an index that survives the trip: the trace id is {@link #MARK} then the index,
 * the span id is the index plus one. The sink side turns a payload back into indices.
 */
final class TestSpans {

  /** High half of every test trace id ("spantest"). */
  static final long MARK = 0x7370616e74657374L;

  private TestSpans() {}

  static SpanData span(long index) {
    SpanContext context =
        SpanContext.create(
            String.format("%016x%016x", MARK, index),
            String.format("%016x", index + 1),
            TraceFlags.getSampled(),
            TraceState.getDefault());
    return TestSpanData.builder()
        .setSpanContext(context)
        .setName("span-" + index)
        .setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1_700_000_000_000_000_000L + index)
        .setEndEpochNanos(1_700_000_000_000_001_000L + index)
        .setHasEnded(true)
        .setStatus(StatusData.unset())
        .setTotalRecordedEvents(0)
        .setTotalRecordedLinks(0)
        .build();
  }

  /** Spans {@code first} .. {@code first + count - 1}. */
  static List<SpanData> batch(long first, int count) {
    List<SpanData> spans = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      spans.add(span(first + i));
    }
    return spans;
  }

  /**
   * An OTLP request with spans {@code first} .. {@code first + count - 1}, built with
   * protobuf-java.
   */
  static byte[] otlp(long first, int count) {
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = 0; i < count; i++) {
      long idx = first + i;
      scope.addSpans(
          Span.newBuilder()
              .setTraceId(
                  com.google.protobuf.ByteString.copyFrom(
                      ByteBuffer.allocate(16).putLong(MARK).putLong(idx).array()))
              .setSpanId(
                  com.google.protobuf.ByteString.copyFrom(
                      ByteBuffer.allocate(8).putLong(idx + 1).array()))
              .setName("raw-" + idx)
              .setStartTimeUnixNano(1_700_000_000_000_000_000L)
              .setEndTimeUnixNano(1_700_000_000_000_001_000L));
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(scope))
        .build()
        .toByteArray();
  }

  /**
   * Calls {@code index} for every test span in an OTLP request and {@code foreign} once for every
   * other span.
   */
  static void indices(byte[] buffer, int offset, int length, LongConsumer index, Runnable foreign)
      throws InvalidProtocolBufferException {
    ExportTraceServiceRequest request =
        ExportTraceServiceRequest.parser().parseFrom(buffer, offset, length);
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          ByteBuffer trace = s.getTraceId().asReadOnlyByteBuffer();
          ByteBuffer span = s.getSpanId().asReadOnlyByteBuffer();
          if (trace.remaining() != 16 || span.remaining() != 8 || trace.getLong(0) != MARK) {
            foreign.run();
            continue;
          }
          long idx = trace.getLong(8);
          if (span.getLong(0) != idx + 1) {
            foreign.run();
            continue;
          }
          index.accept(idx);
        }
      }
    }
  }
}
