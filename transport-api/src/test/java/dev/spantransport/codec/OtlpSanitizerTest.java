package dev.spantransport.codec;

import static dev.spantransport.codec.SpanComparison.otelBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.spantransport.codec.internal.OtlpSanitizer;
import dev.spantransport.codec.internal.PayloadLimits;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The receive-side sanitizer against protobuf-java: what it removes, what it keeps byte for byte,
 * and that its counting pass decides alone when nothing needs rewriting.
 */
class OtlpSanitizerTest {

  private static final String FORGED = "spantransport.peer.socket_path";
  private static final PayloadLimits DEFAULTS = PayloadLimits.of(SpanLimits.getDefault());

  @Test
  void removesReservedAttributesFromResourceScopeSpanEventAndLinkAndNothingElse() throws Exception {
    ExportTraceServiceRequest attack = request(true);
    byte[] bytes = attack.toByteArray();
    OtlpSanitizer sanitizer = new OtlpSanitizer(DEFAULTS);

    assertEquals(1, sanitizer.countSpans(bytes, 0, bytes.length));
    assertTrue(sanitizer.needsRewrite(), "the counting pass notices the reserved keys");
    byte[] clean = sanitizer.sanitize(bytes, 0, bytes.length);

    assertNotNull(clean);
    assertEquals(request(false), ExportTraceServiceRequest.parseFrom(clean));
    assertEquals(5, sanitizer.stripped());
    assertEquals(0, sanitizer.droppedAttributes() + sanitizer.droppedEvents());
    assertEquals(0, sanitizer.droppedLinks() + sanitizer.truncatedValues());
  }

  @Test
  void leavesOrdinaryBatchesToTheCountingPassAlone() throws Exception {
    RandomSpans random = new RandomSpans(300, false);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    OtlpSanitizer sanitizer = new OtlpSanitizer(DEFAULTS);
    for (int i = 0; i < 200; i++) {
      List<SpanData> spans = random.batch(1 + i % 40, 1 + i % 3, 1 + i % 2);
      for (byte[] bytes : new byte[][] {otelBytes(spans), encoder.encode(spans)}) {
        assertEquals(spans.size(), sanitizer.countSpans(bytes, 0, bytes.length));
        assertFalse(sanitizer.needsRewrite(), "batch " + i);
      }
    }
  }

  @Test
  void keepsTheFirstItemsUpToEachLimitAndAddsTheRestToTheDroppedCounts() throws Exception {
    PayloadLimits limits =
        PayloadLimits.of(
            SpanLimits.builder()
                .setMaxNumberOfAttributes(2)
                .setMaxNumberOfEvents(3)
                .setMaxNumberOfLinks(1)
                .setMaxNumberOfAttributesPerEvent(1)
                .setMaxNumberOfAttributesPerLink(1)
                .setMaxAttributeValueLength(4)
                .build());
    Span.Builder span =
        Span.newBuilder()
            .setName("limited")
            .addAttributes(string("a1", "abcdefgh"))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("a2")
                    .setValue(
                        AnyValue.newBuilder()
                            .setArrayValue(
                                ArrayValue.newBuilder()
                                    .addValues(AnyValue.newBuilder().setStringValue("toolong"))
                                    .addValues(AnyValue.newBuilder().setStringValue("ok")))))
            .addAttributes(string("a3", "x"))
            .addAttributes(string("a4", "y"))
            .setDroppedAttributesCount(7)
            .addEvents(
                Span.Event.newBuilder()
                    .setName("e0")
                    .addAttributes(string("k", "ab\uD83D\uDE00cd"))
                    .addAttributes(string("l", "v")))
            .setDroppedEventsCount(1);
    for (int i = 1; i < 6; i++) {
      span.addEvents(Span.Event.newBuilder().setName("e" + i));
    }
    span.addLinks(
            Span.Link.newBuilder()
                .setTraceId(ByteString.copyFrom(new byte[16]))
                .addAttributes(string("l1", "v"))
                .addAttributes(string("l2", "v")))
        .addLinks(Span.Link.newBuilder().setTraceState("second"));
    byte[] bytes = wrap(span.build()).toByteArray();
    OtlpSanitizer sanitizer = new OtlpSanitizer(limits);

    assertEquals(1, sanitizer.countSpans(bytes, 0, bytes.length));
    assertTrue(sanitizer.needsRewrite());
    Span got =
        ExportTraceServiceRequest.parseFrom(sanitizer.sanitize(bytes, 0, bytes.length))
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);

    Span.Builder want =
        Span.newBuilder()
            .setName("limited")
            .addAttributes(string("a1", "abcd"))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("a2")
                    .setValue(
                        AnyValue.newBuilder()
                            .setArrayValue(
                                ArrayValue.newBuilder()
                                    .addValues(AnyValue.newBuilder().setStringValue("tool"))
                                    .addValues(AnyValue.newBuilder().setStringValue("ok")))))
            .setDroppedAttributesCount(7 + 2)
            // a, b and the surrogate pair are exactly 4 units
            .addEvents(
                Span.Event.newBuilder()
                    .setName("e0")
                    .addAttributes(string("k", "ab\uD83D\uDE00"))
                    .setDroppedAttributesCount(1))
            .addEvents(Span.Event.newBuilder().setName("e1"))
            .addEvents(Span.Event.newBuilder().setName("e2"))
            .setDroppedEventsCount(1 + 3)
            .addLinks(
                Span.Link.newBuilder()
                    .setTraceId(ByteString.copyFrom(new byte[16]))
                    .addAttributes(string("l1", "v"))
                    .setDroppedAttributesCount(1))
            .setDroppedLinksCount(1);
    assertEquals(want.build(), got);
    assertEquals(0, sanitizer.stripped());
    assertEquals(2 + 1 + 1, sanitizer.droppedAttributes());
    assertEquals(3, sanitizer.droppedEvents());
    assertEquals(1, sanitizer.droppedLinks());
    assertEquals(3, sanitizer.truncatedValues());
  }

  @Test
  void cutsStringsInUtf16UnitsWithoutSplittingASurrogatePair() {
    byte[] s = "ab\uD83D\uDE00cd".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    // a(1) b(1) pair(2) c(1) d(1) = 6 units in 8 bytes
    assertEquals(8, cutAt(s, 6));
    assertEquals(7, cutAt(s, 5)); // ab + pair + c
    assertEquals(6, cutAt(s, 4)); // ab + pair
    assertEquals(2, cutAt(s, 3)); // the pair does not fit
    assertEquals(0, cutAt(s, 0));
  }

  @Test
  void decodeBombOfEmptyEventsDecodesAsTheLimitWithTheRestCounted() throws Exception {
    Span.Builder span = Span.newBuilder().setName("bomb");
    for (int i = 0; i < 100_000; i++) {
      span.addEvents(Span.Event.getDefaultInstance());
    }
    byte[] bytes = wrap(span.build()).toByteArray();
    OtlpSanitizer sanitizer = new OtlpSanitizer(DEFAULTS);

    assertEquals(1, sanitizer.countSpans(bytes, 0, bytes.length));
    byte[] clean = sanitizer.sanitize(bytes, 0, bytes.length);
    SpanData decoded = new OtlpSpanDecoder().decode(clean, 0, clean.length).get(0);

    assertEquals(128, decoded.getEvents().size());
    assertEquals(100_000, decoded.getTotalRecordedEvents());
    assertEquals(100_000 - 128, sanitizer.droppedEvents());
    assertTrue(clean.length < 300, "rewritten bomb is " + clean.length + " bytes");
  }

  @Test
  void reservedKeysInsideAValueAreDataNotIdentity() throws Exception {
    KeyValue nested =
        KeyValue.newBuilder()
            .setKey("app.map")
            .setValue(
                AnyValue.newBuilder()
                    .setKvlistValue(KeyValueList.newBuilder().addValues(string(FORGED, "x"))))
            .build();
    byte[] bytes = wrap(Span.newBuilder().setName("s").addAttributes(nested).build()).toByteArray();
    OtlpSanitizer sanitizer = new OtlpSanitizer(DEFAULTS);

    assertEquals(1, sanitizer.countSpans(bytes, 0, bytes.length));
    assertFalse(sanitizer.needsRewrite());
  }

  @Test
  void unusualEncodingsGoThroughTheValidatorAndComeOutUnchangedWhenClean() throws Exception {
    byte[] padded = padOuterLength(wrap(Span.newBuilder().setName("padded").build()).toByteArray());
    OtlpSanitizer sanitizer = new OtlpSanitizer(DEFAULTS);

    assertEquals(1, sanitizer.countSpans(padded, 0, padded.length));
    assertTrue(sanitizer.needsRewrite(), "unknown to the fast path: the sanitizer decides");
    assertNull(sanitizer.sanitize(padded, 0, padded.length), "nothing to change");

    byte[] forgedPadded = padOuterLength(request(true).toByteArray());
    sanitizer.countSpans(forgedPadded, 0, forgedPadded.length);
    byte[] clean = sanitizer.sanitize(forgedPadded, 0, forgedPadded.length);
    assertEquals(request(false), ExportTraceServiceRequest.parseFrom(clean));
    assertArrayEquals(request(false).toByteArray(), clean, "lengths re-encoded in shortest form");
  }

  /**
   * The request with its first field's length as a varint one byte longer than its shortest form,
   * which protobuf accepts and the counting pass leaves to the validator.
   */
  private static byte[] padOuterLength(byte[] canonical) {
    int n = 1;
    while (canonical[n] < 0) {
      n++;
    }
    byte[] padded = new byte[canonical.length + 1];
    System.arraycopy(canonical, 0, padded, 0, n + 1);
    padded[n] |= (byte) 0x80;
    padded[n + 1] = 0;
    System.arraycopy(canonical, n + 1, padded, n + 2, canonical.length - n - 1);
    return padded;
  }

  /** The byte length of a string value after the sanitizer cut it to {@code max} units. */
  private static int cutAt(byte[] utf8, int max) {
    KeyValue kv =
        KeyValue.newBuilder()
            .setKey("k")
            .setValue(
                AnyValue.newBuilder().setStringValue(ByteString.copyFrom(utf8).toStringUtf8()))
            .build();
    byte[] bytes = wrap(Span.newBuilder().addAttributes(kv).build()).toByteArray();
    OtlpSanitizer sanitizer =
        new OtlpSanitizer(
            PayloadLimits.of(SpanLimits.builder().setMaxAttributeValueLength(max).build()));
    try {
      sanitizer.countSpans(bytes, 0, bytes.length);
      byte[] out = sanitizer.sanitize(bytes, 0, bytes.length);
      if (out == null) {
        return utf8.length;
      }
      return ExportTraceServiceRequest.parseFrom(out)
          .getResourceSpans(0)
          .getScopeSpans(0)
          .getSpans(0)
          .getAttributes(0)
          .getValue()
          .getStringValueBytes()
          .size();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A request with honest attributes at every level, and the forged one too if asked. */
  private static ExportTraceServiceRequest request(boolean forged) {
    Span.Builder span =
        Span.newBuilder()
            .setTraceId(ByteString.copyFrom(new byte[16]))
            .setName("forger")
            .addAttributes(string("app.span", "kept"));
    Span.Event.Builder event = Span.Event.newBuilder().setName("evt");
    Span.Link.Builder link = Span.Link.newBuilder().addAttributes(string("app.link", "kept"));
    Resource.Builder resource = Resource.newBuilder();
    InstrumentationScope.Builder scope = InstrumentationScope.newBuilder().setName("scope");
    if (forged) {
      span.addAttributes(string(FORGED, "/forged/path"));
      event.addAttributes(string(FORGED, "/forged/path"));
      link.addAttributes(string(FORGED, "/forged/path"));
      resource.addAttributes(string(FORGED, "/forged/path"));
      scope.addAttributes(string(FORGED, "/forged/path"));
    }
    event.addAttributes(string("app.event", "kept"));
    resource.addAttributes(string("service.name", "kept"));
    scope.addAttributes(string("app.scope", "kept"));
    span.addEvents(event).addLinks(link);
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(resource)
                .addScopeSpans(ScopeSpans.newBuilder().setScope(scope).addSpans(span)))
        .build();
  }

  private static ExportTraceServiceRequest wrap(Span span) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
        .build();
  }

  private static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }
}
