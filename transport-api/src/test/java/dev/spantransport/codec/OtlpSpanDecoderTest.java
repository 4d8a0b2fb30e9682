package dev.spantransport.codec;

import static dev.spantransport.codec.SpanComparison.assertSpansEqual;
import static dev.spantransport.codec.SpanComparison.otelBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OtlpSpanDecoderTest {
  private final OtlpSpanDecoder decoder = new OtlpSpanDecoder();

  @Test
  void decodesOpenTelemetryBytesIntoEqualSpans() throws Exception {
    RandomSpans random = new RandomSpans(100, false);
    Random sizes = new Random(101);
    for (int i = 0; i < 300; i++) {
      List<SpanData> spans =
          random.batch(sizes.nextInt(40), 1 + sizes.nextInt(5), 1 + sizes.nextInt(3));
      byte[] bytes = otelBytes(spans);
      List<SpanData> decoded = decoder.decode(bytes, 0, bytes.length);
      // Decoded spans come in payload order; re-encoding groups them the same way, so compare
      // against the input re-ordered by the same grouping.
      assertSpansEqual(groupOrder(spans, bytes), decoded);
      assertEquals(decoded.size(), OtlpSpanDecoder.countSpans(bytes, 0, bytes.length));
    }
  }

  @Test
  void decodesItsOwnEncoderOutputAtAnOffset() throws Exception {
    RandomSpans random = new RandomSpans(102, false);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    for (int i = 0; i < 100; i++) {
      List<SpanData> spans = random.batch(25, 1, 1);
      int n = encoder.prepare(spans);
      byte[] buffer = new byte[n + 7];
      encoder.writeTo(buffer, 5);
      assertSpansEqual(spans, decoder.decode(buffer, 5, n));
    }
  }

  @Test
  void sharesResourceAndScopeAcrossTheSpansOfAGroup() throws Exception {
    List<SpanData> spans = new RandomSpans(103, false).batch(10, 1, 1);
    byte[] bytes = otelBytes(spans);
    List<SpanData> decoded = decoder.decode(bytes, 0, bytes.length);
    for (SpanData span : decoded) {
      assertSame(decoded.get(0).getResource(), span.getResource());
      assertSame(decoded.get(0).getInstrumentationScopeInfo(), span.getInstrumentationScopeInfo());
    }
  }

  @Test
  void decodesAnEmptyPayloadAsNoSpans() throws Exception {
    assertEquals(0, decoder.decode(new byte[0], 0, 0).size());
    assertEquals(0, OtlpSpanDecoder.countSpans(new byte[0], 0, 0));
  }

  @Test
  void rejectsEveryTruncationOfAPayload() throws Exception {
    List<SpanData> spans = new RandomSpans(104, false).batch(6, 1, 1);
    byte[] bytes = otelBytes(spans);
    for (int cut = 1; cut < bytes.length; cut++) {
      int length = cut;
      MalformedPayloadException e =
          assertThrows(
              MalformedPayloadException.class,
              () -> decoder.decode(bytes, 0, length),
              "truncated to " + cut);
      assertTrue(e.getMessage().contains("offset"), e.getMessage());
      assertThrows(
          MalformedPayloadException.class, () -> OtlpSpanDecoder.countSpans(bytes, 0, length));
    }
  }

  @Test
  void answersCorruptedBytesWithMalformedPayloadOrAConsistentDecode() throws Exception {
    RandomSpans spans = new RandomSpans(105, false);
    Random random = new Random(106);
    int malformed = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] bytes = otelBytes(spans.batch(1 + random.nextInt(4), 2, 2));
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        int at = random.nextInt(bytes.length);
        if (random.nextBoolean()) {
          bytes[at] ^= (byte) (1 << random.nextInt(8));
        } else {
          bytes[at] = (byte) random.nextInt(256);
        }
      }
      Integer count = null;
      try {
        count = OtlpSpanDecoder.countSpans(bytes, 0, bytes.length);
      } catch (MalformedPayloadException expected) {
        malformed++;
      }
      try {
        List<SpanData> decoded = decoder.decode(bytes, 0, bytes.length);
        assertEquals(count, decoded.size(), "countSpans and decode disagree, iteration " + i);
      } catch (MalformedPayloadException e) {
        assertEquals(null, count, "decode rejected what countSpans accepted: " + e.getMessage());
      } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
        fail("iteration " + i + " threw " + e, e);
      }
    }
    assertTrue(malformed > 100, "only " + malformed + " corruptions were detected");
  }

  @Test
  void rejectsALengthLargerThanThePayloadWithoutAllocatingIt() {
    // resource_spans field claiming 2^31 - 1 bytes
    byte[] bytes = {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 0x00};
    MalformedPayloadException e =
        assertThrows(MalformedPayloadException.class, () -> decoder.decode(bytes, 0, bytes.length));
    assertEquals(
        "length 2147483647 of ExportTraceServiceRequest.resource_spans exceeds the 1 bytes left"
            + " at offset 1",
        e.getMessage());
    assertEquals(1, e.offset());
  }

  @Test
  void rejectsAnIdOfTheWrongSize() {
    Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[5])).build();
    byte[] bytes = request(span).toByteArray();
    MalformedPayloadException e =
        assertThrows(MalformedPayloadException.class, () -> decoder.decode(bytes, 0, bytes.length));
    assertTrue(
        e.getMessage().startsWith("Span.trace_id must be empty or 16 bytes: 5"), e.getMessage());
  }

  @Test
  void rejectsValuesNestedTooDeeply() {
    AnyValue value = AnyValue.newBuilder().setIntValue(1).build();
    for (int i = 0; i < 40; i++) {
      value = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(value)).build();
    }
    Span span =
        Span.newBuilder()
            .addAttributes(KeyValue.newBuilder().setKey("deep").setValue(value))
            .build();
    byte[] bytes = request(span).toByteArray();
    MalformedPayloadException e =
        assertThrows(MalformedPayloadException.class, () -> decoder.decode(bytes, 0, bytes.length));
    assertTrue(e.getMessage().contains("nested deeper than 32"), e.getMessage());
  }

  @Test
  void skipsUnknownFieldsOfEveryWireType() throws Exception {
    List<SpanData> spans = new RandomSpans(107, false).batch(3, 1, 1);
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(otelBytes(spans));
    UnknownFieldSet unknown =
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
    ExportTraceServiceRequest.Builder builder = request.toBuilder().setUnknownFields(unknown);
    ResourceSpans.Builder rs = builder.getResourceSpansBuilder(0).setUnknownFields(unknown);
    rs.getResourceBuilder().setUnknownFields(unknown);
    ScopeSpans.Builder ss = rs.getScopeSpansBuilder(0).setUnknownFields(unknown);
    ss.getScopeBuilder().setUnknownFields(unknown);
    for (int i = 0; i < ss.getSpansCount(); i++) {
      Span.Builder span = ss.getSpansBuilder(i).setUnknownFields(unknown);
      span.getStatusBuilder().setUnknownFields(unknown);
    }
    byte[] bytes = builder.build().toByteArray();
    assertSpansEqual(spans, decoder.decode(bytes, 0, bytes.length));
  }

  @Test
  void rejectsARangeOutsideTheBuffer() {
    assertThrows(IndexOutOfBoundsException.class, () -> decoder.decode(new byte[4], 2, 3));
    assertThrows(
        IndexOutOfBoundsException.class, () -> OtlpSpanDecoder.countSpans(new byte[4], -1, 2));
  }

  private static ExportTraceServiceRequest request(Span span) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
        .build();
  }

  /** The input spans in the order their span ids appear in {@code bytes}. */
  private static List<SpanData> groupOrder(List<SpanData> spans, byte[] bytes) throws Exception {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(bytes);
    SpanData[] ordered = new SpanData[spans.size()];
    boolean[] used = new boolean[spans.size()];
    int k = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          for (int i = 0; i < spans.size(); i++) {
            if (!used[i]
                && spans.get(i).getName().replace('\uD800', '?').equals(span.getName())
                && spans.get(i).getStartEpochNanos() == span.getStartTimeUnixNano()
                && Arrays.equals(
                    spans.get(i).getSpanContext().getSpanIdBytes(), span.getSpanId().toByteArray())
                && Arrays.equals(
                    spans.get(i).getSpanContext().getTraceIdBytes(),
                    span.getTraceId().toByteArray())) {
              used[i] = true;
              ordered[k++] = spans.get(i);
              break;
            }
          }
        }
      }
    }
    assertEquals(spans.size(), k);
    return Arrays.asList(ordered);
  }
}
