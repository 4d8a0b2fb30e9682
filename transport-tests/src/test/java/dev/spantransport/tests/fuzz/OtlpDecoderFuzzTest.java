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
    assertEquals(knownIssues(spans), knownIssues(again), "decode(encode(spans)) must be spans");
    if (spans.stream().allMatch(s -> s.getSpanContext().isValid())) { // see knownIssues
      assertArrayEquals(encoded, encoder.encode(again), "re-encoding must be a fixed point");
    }
  }

  /**
   * Masks an open finding so fuzzing can go on looking for others: a span whose own context is
   * invalid (e.g. an all-zero span id) may decode with a valid parent built from its raw trace id,
   * which the encoder cannot carry (it writes the span's zeroed trace id). {@code
   * FuzzFindingsTest.spanWithZeroSpanIdHasNoValidParent} holds the expected behaviour.
   */
  private static List<List<Object>> knownIssues(List<SpanData> spans) {
    List<List<Object>> facts = SpanFacts.of(spans);
    for (int i = 0; i < spans.size(); i++) {
      if (!spans.get(i).getSpanContext().isValid()) {
        facts.set(i, new java.util.ArrayList<>(facts.get(i)));
        facts.get(i).set(1, "parent of a span with an invalid context");
      }
    }
    return facts;
  }

  private static List<SpanData> decodeValid(byte[] payload) {
    try {
      return DECODER.decode(payload, 0, payload.length);
    } catch (MalformedPayloadException e) {
      throw new AssertionError("decode rejected a payload that countSpans validated", e);
    }
  }
}
