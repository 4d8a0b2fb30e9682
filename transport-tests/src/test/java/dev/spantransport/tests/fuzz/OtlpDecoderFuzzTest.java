package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;

/**
 * Fuzzes {@link OtlpSpanDecoder#decode} and {@link OtlpSpanDecoder#countSpans} with arbitrary
 * bytes. Only {@link MalformedPayloadException} may escape, and only from validation: a payload
 * that validates must decode (the decoder's catch-all for runtime errors must never fire); both
 * agree on which payloads are valid and on the span count; a decoded batch re-encoded with {@link
 * OtlpSpanEncoder} decodes to the same spans, and that encoding is a fixed point.
 */
class OtlpDecoderFuzzTest {

  private static final OtlpSpanDecoder DECODER = new OtlpSpanDecoder();

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

    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    byte[] encoded = encoder.encode(spans);
    List<SpanData> again = decodeValid(encoded);
    assertEquals(SpanFacts.of(spans), SpanFacts.of(again), "decode(encode(spans)) must be spans");
    assertArrayEquals(encoded, encoder.encode(again), "re-encoding must be a fixed point");
  }

  private static List<SpanData> decodeValid(byte[] payload) {
    try {
      return DECODER.decode(payload, 0, payload.length);
    } catch (MalformedPayloadException e) {
      throw new AssertionError("decode rejected a payload that countSpans validated", e);
    }
  }
}
