package dev.spantransport.codec;

import static dev.spantransport.codec.SpanComparison.otelBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.spantransport.codec.internal.OtlpSpanCounter;
import dev.spantransport.codec.internal.OtlpValidator;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast path of countSpans against the full validating walk it must never contradict. */
class OtlpSpanCounterTest {
  @Test
  void countsOpenTelemetryAndOwnEncoderOutputWithoutFallingBack() throws Exception {
    RandomSpans random = new RandomSpans(200, false);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    for (int i = 0; i < 200; i++) {
      List<SpanData> spans = random.batch(1 + i % 40, 1 + i % 3, 1 + i % 2);
      for (byte[] bytes : new byte[][] {otelBytes(spans), encoder.encode(spans)}) {
        assertEquals(spans.size(), OtlpSpanCounter.countSpans(bytes, 0, bytes.length));
        assertEquals(spans.size(), OtlpValidator.walk(bytes, 0, bytes.length));
      }
    }
  }

  @Test
  void neverAcceptsWhatTheValidatorRejectsNorCountsDifferently() throws Exception {
    RandomSpans spans = new RandomSpans(201, false);
    Random random = new Random(202);
    int rejected = 0;
    int fastAnswers = 0;
    for (int i = 0; i < 20000; i++) {
      byte[] bytes = otelBytes(spans.batch(1 + random.nextInt(4), 2, 2));
      int flips = 1 + random.nextInt(3);
      for (int f = 0; f < flips; f++) {
        int at = random.nextInt(bytes.length);
        switch (random.nextInt(3)) {
          case 0:
            bytes[at] ^= (byte) (1 << random.nextInt(8));
            break;
          case 1:
            bytes[at] = (byte) random.nextInt(256);
            break;
          default:
            bytes[at] = (byte) (bytes[at] + (random.nextBoolean() ? 1 : -1));
        }
      }
      int length = random.nextInt(8) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;
      int fast = OtlpSpanCounter.countSpans(bytes, 0, length);
      Integer full = null;
      try {
        full = OtlpValidator.walk(bytes, 0, length);
      } catch (MalformedPayloadException e) {
        rejected++;
      } catch (RuntimeException | StackOverflowError e) {
        fail("iteration " + i + " threw " + e, e);
      }
      if (fast != OtlpSpanCounter.BAIL) {
        fastAnswers++;
        assertEquals(
            full, Integer.valueOf(fast), "fast path disagrees with the validator, iteration " + i);
      }
    }
    assertTrue(rejected > 1000, "only " + rejected + " corruptions were detected");
    assertTrue(fastAnswers > 1000, "the fast path answered only " + fastAnswers + " times");
  }

  @Test
  void fallsBackForUnknownFieldsItCannotPlaceAndStillCountsThem() throws Exception {
    List<SpanData> spans = new RandomSpans(203, false).batch(3, 1, 1);
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(otelBytes(spans));
    // Unknown fields numbered above every known one are skipped on the fast path; the reserved
    // Status field 1 is left to the validator.
    UnknownFieldSet high =
        UnknownFieldSet.newBuilder()
            .addField(90, UnknownFieldSet.Field.newBuilder().addVarint(12345).build())
            .addField(91, UnknownFieldSet.Field.newBuilder().addFixed64(7).build())
            .addField(92, UnknownFieldSet.Field.newBuilder().addFixed32(9).build())
            .addField(
                93,
                UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(ByteString.copyFromUtf8("future"))
                    .build())
            .build();
    ExportTraceServiceRequest.Builder builder = request.toBuilder().setUnknownFields(high);
    ResourceSpans.Builder rs = builder.getResourceSpansBuilder(0).setUnknownFields(high);
    ScopeSpans.Builder ss = rs.getScopeSpansBuilder(0).setUnknownFields(high);
    for (int i = 0; i < ss.getSpansCount(); i++) {
      ss.getSpansBuilder(i).setUnknownFields(high);
    }
    byte[] bytes = builder.build().toByteArray();
    assertEquals(3, OtlpSpanCounter.countSpans(bytes, 0, bytes.length));
    assertEquals(3, OtlpSpanDecoder.countSpans(bytes, 0, bytes.length));

    Span.Builder span = ss.getSpansBuilder(0);
    span.getStatusBuilder()
        .setUnknownFields(
            UnknownFieldSet.newBuilder()
                .addField(1, UnknownFieldSet.Field.newBuilder().addVarint(2).build())
                .build());
    byte[] reserved = builder.build().toByteArray();
    assertEquals(OtlpSpanCounter.BAIL, OtlpSpanCounter.countSpans(reserved, 0, reserved.length));
    assertEquals(3, OtlpSpanDecoder.countSpans(reserved, 0, reserved.length));
  }

  @Test
  void fallsBackForALongerThanShortestLengthAndTheValidatorAcceptsIt() throws Exception {
    // ExportTraceServiceRequest { resource_spans: {} } with the empty length written in two bytes.
    byte[] bytes = {0x0A, (byte) 0x80, 0x00};
    assertEquals(OtlpSpanCounter.BAIL, OtlpSpanCounter.countSpans(bytes, 0, bytes.length));
    assertEquals(0, OtlpSpanDecoder.countSpans(bytes, 0, bytes.length));
    byte[] shortest = {0x0A, 0x00};
    assertNotEquals(OtlpSpanCounter.BAIL, OtlpSpanCounter.countSpans(shortest, 0, 2));
  }
}
