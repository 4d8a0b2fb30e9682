package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.codec.internal.OtlpSanitizer;
import dev.spantransport.codec.internal.PayloadLimits;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;

/**
 * Fuzzes {@link OtlpSpanDecoder#decode} and {@link OtlpSpanDecoder#countSpans} with arbitrary
 * bytes. Only {@link MalformedPayloadException} may escape, and only from validation: a payload
 * that validates must decode (the decoder's catch-all for runtime errors must never fire); both
 * agree on which payloads are valid and on the span count; a decoded batch re-encoded with {@link
 * OtlpSpanEncoder} decodes to the same spans, and that encoding is a fixed point. The receiver's
 * sanitizer, with limits of two of everything, agrees on validity and span count, never fails on a
 * valid payload, and its output validates with the same count, decodes within the limits and needs
 * no second rewrite.
 */
class OtlpDecoderFuzzTest {

  private static final OtlpSpanDecoder DECODER = new OtlpSpanDecoder();
  private static final int LIMIT = 2;
  private static final PayloadLimits SMALL =
      PayloadLimits.of(
          SpanLimits.builder()
              .setMaxNumberOfAttributes(LIMIT)
              .setMaxNumberOfEvents(LIMIT)
              .setMaxNumberOfLinks(LIMIT)
              .setMaxNumberOfAttributesPerEvent(LIMIT)
              .setMaxNumberOfAttributesPerLink(LIMIT)
              .setMaxAttributeValueLength(3)
              .build());

  @FuzzTest(maxDuration = "30s")
  void decodeAgreesWithCountAndRoundTrips(byte[] payload) throws Exception {
    check(payload);
  }

  static void check(byte[] payload) throws Exception {
    int count;
    try {
      count = OtlpSpanDecoder.countSpans(payload, 0, payload.length);
    } catch (MalformedPayloadException e) {
      try {
        List<SpanData> spans = DECODER.decode(payload, 0, payload.length);
        throw new AssertionError("countSpans rejected what decode accepted: " + spans.size(), e);
      } catch (MalformedPayloadException expected) {
        return;
      }
    }
    List<SpanData> spans = decodeValid(payload);
    assertEquals(count, spans.size(), "countSpans and decode must agree");
    checkSanitizer(payload, count);

    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    byte[] encoded = encoder.encode(spans);
    List<SpanData> again = decodeValid(encoded);
    assertEquals(SpanFacts.of(spans), SpanFacts.of(again), "decode(encode(spans)) must be spans");
    assertArrayEquals(encoded, encoder.encode(again), "re-encoding must be a fixed point");
  }

  private static void checkSanitizer(byte[] payload, int count) throws Exception {
    OtlpSanitizer sanitizer = new OtlpSanitizer(SMALL);
    assertEquals(count, sanitizer.countSpans(payload, 0, payload.length), "sanitizer count");
    byte[] clean = sanitizer.needsRewrite() ? sanitizer.sanitize(payload, 0, payload.length) : null;
    if (clean == null) {
      return;
    }
    assertEquals(count, OtlpSpanDecoder.countSpans(clean, 0, clean.length), "sanitized count");
    sanitizer.countSpans(clean, 0, clean.length);
    assertNull(
        sanitizer.needsRewrite() ? sanitizer.sanitize(clean, 0, clean.length) : null,
        "a sanitized payload needs no second rewrite");
    for (SpanData span : decodeValid(clean)) {
      assertTrue(span.getAttributes().size() <= LIMIT, "attributes");
      assertTrue(span.getEvents().size() <= LIMIT, "events");
      assertTrue(span.getLinks().size() <= LIMIT, "links");
    }
  }

  private static List<SpanData> decodeValid(byte[] payload) {
    try {
      return DECODER.decode(payload, 0, payload.length);
    } catch (MalformedPayloadException e) {
      throw new AssertionError("decode rejected a payload that countSpans validated", e);
    }
  }
}
