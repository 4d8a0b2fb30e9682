package dev.spantransport.codec;

import static dev.spantransport.codec.SpanComparison.assertSpansEqual;
import static dev.spantransport.codec.SpanComparison.otelBytes;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
      String countMessage = null;
      try {
        count = OtlpSpanDecoder.countSpans(bytes, 0, bytes.length);
      } catch (MalformedPayloadException expected) {
        countMessage = expected.getMessage();
        malformed++;
      }
      try {
        List<SpanData> decoded = decoder.decode(bytes, 0, bytes.length);
        assertEquals(count, decoded.size(), "countSpans and decode disagree, iteration " + i);
      } catch (MalformedPayloadException e) {
        assertEquals(null, count, "decode rejected what countSpans accepted: " + e.getMessage());
        assertEquals(countMessage, e.getMessage(), "decode and countSpans name different faults");
      } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
        fail("iteration " + i + " threw " + e, e);
      }
    }
    assertTrue(malformed > 100, "only " + malformed + " corruptions were detected");
  }

  @Test
  void keepsKeysAndStringsApartWhenMoreDistinctOnesThanTheCacheHolds() throws Exception {
    // Thousands of distinct short keys and values, many sharing cache slots, some differing only
    // in a non-ASCII character; every span must come back with exactly its own attributes.
    String[] suffixes = {"a", "b", "\u00e9", "\u20ac"};
    for (int round = 0; round < 2; round++) {
      List<SpanData> spans = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        String suffix = suffixes[(i + round) % suffixes.length];
        Attributes attributes =
            Attributes.builder()
                .put("k" + i + suffix, "v" + (i * 7) + suffix)
                .put("k" + i + suffix + ".n", (long) i)
                .put("shared", i % 2 == 0 ? "even" : "odd")
                .build();
        spans.add(
            TestSpanData.builder()
                .setName("span " + i)
                .setKind(SpanKind.SERVER)
                .setSpanContext(
                    SpanContext.create(
                        TraceId.fromLongs(round, i + 1),
                        SpanId.fromLong(i + 1),
                        TraceFlags.getSampled(),
                        TraceState.getDefault()))
                .setStatus(StatusData.unset())
                .setStartEpochNanos(1)
                .setEndEpochNanos(2)
                .setHasEnded(true)
                .setAttributes(attributes)
                .setTotalAttributeCount(attributes.size())
                .build());
      }
      byte[] bytes = otelBytes(spans);
      assertSpansEqual(spans, decoder.decode(bytes, 0, bytes.length));
    }
  }

  @Test
  void decodesOnSeveralThreadsWithOneDecoder() throws Exception {
    List<byte[]> payloads = new ArrayList<>();
    List<List<SpanData>> expected = new ArrayList<>();
    RandomSpans random = new RandomSpans(107, false);
    for (int i = 0; i < 8; i++) {
      List<SpanData> spans = random.batch(30, 1, 1);
      payloads.add(otelBytes(spans));
      expected.add(spans);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int first = t;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 200; i++) {
                    int n = (first + i) % payloads.size();
                    byte[] bytes = payloads.get(n);
                    assertSpansEqual(expected.get(n), decoder.decode(bytes, 0, bytes.length));
                  }
                  return null;
                }));
      }
      for (Future<?> result : results) {
        result.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
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

  @Test
  void mergesARepeatedResourceOrScopeFieldAsProtobufDoes() throws Exception {
    Span span =
        Span.newBuilder()
            .setTraceId(
                ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6}))
            .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
            .setName("s")
            .build();
    byte[] scopeSpans =
        concat(
            ScopeSpans.newBuilder().setScope(scope("first", "a")).build().toByteArray(),
            ScopeSpans.newBuilder()
                .setScope(scope("second", "b"))
                .addSpans(span)
                .build()
                .toByteArray());
    byte[] resourceSpans =
        concat(
            ResourceSpans.newBuilder().setResource(resource("r1")).build().toByteArray(),
            ResourceSpans.newBuilder().setResource(resource("r2")).build().toByteArray(),
            field(2, scopeSpans));
    byte[] request = field(1, resourceSpans);

    ExportTraceServiceRequest expected = ExportTraceServiceRequest.parseFrom(request);
    List<SpanData> decoded = decoder.decode(request, 0, request.length);

    assertEquals(1, decoded.size());
    assertEquals(
        expected.getResourceSpans(0).getResource().getAttributesCount(),
        decoded.get(0).getResource().getAttributes().size());
    assertEquals("r1", decoded.get(0).getResource().getAttribute(stringKey("r1")));
    assertEquals("r2", decoded.get(0).getResource().getAttribute(stringKey("r2")));
    assertEquals(
        expected.getResourceSpans(0).getScopeSpans(0).getScope().getName(),
        decoded.get(0).getInstrumentationScopeInfo().getName());
    assertEquals(
        Attributes.of(stringKey("a"), "a", stringKey("b"), "b"),
        decoded.get(0).getInstrumentationScopeInfo().getAttributes());
  }

  @Test
  void rejectsAMalformedEarlierOccurrenceOfARepeatedResourceField() {
    // Fuzz finding: the decoder used to read only the last `resource` field, so garbage in an
    // earlier one (here an end-group tag) passed decode while countSpans rejected it.
    byte[] badResource = field(1, new byte[] {0x04});
    byte[] request = field(1, concat(badResource, field(1, resource("r").toByteArray())));
    MalformedPayloadException e =
        assertThrows(
            MalformedPayloadException.class, () -> decoder.decode(request, 0, request.length));
    assertThrows(
        MalformedPayloadException.class,
        () -> OtlpSpanDecoder.countSpans(request, 0, request.length));
    assertTrue(e.getMessage().contains("Resource"), e.getMessage());
  }

  private static io.opentelemetry.proto.resource.v1.Resource resource(String key) {
    return io.opentelemetry.proto.resource.v1.Resource.newBuilder()
        .addAttributes(
            KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(key)))
        .build();
  }

  private static io.opentelemetry.proto.common.v1.InstrumentationScope scope(
      String name, String attribute) {
    return io.opentelemetry.proto.common.v1.InstrumentationScope.newBuilder()
        .setName(name)
        .addAttributes(
            KeyValue.newBuilder()
                .setKey(attribute)
                .setValue(AnyValue.newBuilder().setStringValue(attribute)))
        .build();
  }

  /** A length-delimited field: tag, varint length, bytes. */
  private static byte[] field(int number, byte[] value) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(number << 3 | 2);
    int n = value.length;
    while (n >= 0x80) {
      out.write((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out.write(n);
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
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
