package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import dev.spantransport.codec.OtlpSpanDecoder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Findings of the fuzz tests, each as a named test with its input inlined. The raw inputs that
 * found them also sit in the fuzz tests' input directories, where regression mode replays them.
 */
class FuzzFindingsTest {

  /**
   * OtlpDecoderFuzzTest: a span with an all-zero trace id and a parent span id decoded to an
   * invalid parent context that kept the remote bit, flags and trace state, so re-encoding (which
   * drops an invalid parent) did not round-trip. An invalid parent must be {@link
   * SpanContext#getInvalid()}.
   */
  @Test
  void parentOfSpanWithZeroTraceIdIsTheInvalidContext() throws Exception {
    byte[] payload =
        request(
            Span.newBuilder()
                .setTraceId(ByteString.copyFrom(new byte[16]))
                .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
                .setParentSpanId(ByteString.copyFrom(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}))
                .setFlags(0x301) // sampled; parent is remote
                .setName("zero-trace")
                .build());
    List<SpanData> spans = new OtlpSpanDecoder().decode(payload, 0, payload.length);
    assertEquals(SpanContext.getInvalid(), spans.get(0).getParentSpanContext());
    OtlpDecoderFuzzTest.check(payload);
  }

  /** Same rule for a valid trace id with an all-zero parent span id. */
  @Test
  void zeroParentSpanIdIsTheInvalidContext() throws Exception {
    byte[] traceId = new byte[16];
    traceId[15] = 1;
    byte[] payload =
        request(
            Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
                .setParentSpanId(ByteString.copyFrom(new byte[8]))
                .setFlags(0x301)
                .setName("zero-parent")
                .build());
    List<SpanData> spans = new OtlpSpanDecoder().decode(payload, 0, payload.length);
    assertEquals(SpanContext.getInvalid(), spans.get(0).getParentSpanContext());
    OtlpDecoderFuzzTest.check(payload);
  }

  /**
   * OtlpDecoderFuzzTest: a span with a valid trace id, an all-zero span id and a parent span id
   * decoded to an invalid span context (OTel zeroes both ids) but a <em>valid</em> parent built
   * from the raw trace id, which re-encoding lost. Such a span now gets the invalid parent. Input:
   * {@code OtlpDecoderFuzzTestInputs/.../zero-span-id-with-parent}.
   */
  @Test
  void spanWithZeroSpanIdHasNoValidParent() throws Exception {
    byte[] traceId = new byte[16];
    traceId[15] = 1;
    byte[] payload =
        request(
            Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(new byte[8]))
                .setParentSpanId(ByteString.copyFrom(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}))
                .setName("zero-span-id")
                .build());
    List<SpanData> spans = new OtlpSpanDecoder().decode(payload, 0, payload.length);
    assertEquals(SpanContext.getInvalid(), spans.get(0).getParentSpanContext());
  }

  private static byte[] request(Span span) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
        .build()
        .toByteArray();
  }
}
