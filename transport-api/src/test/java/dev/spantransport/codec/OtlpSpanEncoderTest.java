package dev.spantransport.codec;

import static dev.spantransport.codec.SpanComparison.canonical;
import static dev.spantransport.codec.SpanComparison.otelBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OtlpSpanEncoderTest {

  @Test
  void writesTheSameBytesAsOpenTelemetryForOneResourceAndScope() {
    RandomSpans random = new RandomSpans(42, false);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    Random sizes = new Random(7);
    for (int i = 0; i < 300; i++) {
      List<SpanData> spans = random.batch(sizes.nextInt(40), 1, 1);
      assertArrayEquals(otelBytes(spans), encoder.encode(spans), "iteration " + i);
      assertEquals(spans.size(), encoder.spanCount());
    }
  }

  @Test
  void writesTheSameMessageAsOpenTelemetryForManyResourcesAndScopes() throws Exception {
    RandomSpans random = new RandomSpans(43, false);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    Random sizes = new Random(8);
    for (int i = 0; i < 300; i++) {
      List<SpanData> spans = random.batch(sizes.nextInt(60), 5, 3);
      byte[] ours = encoder.encode(spans);
      byte[] theirs = otelBytes(spans);
      assertEquals(theirs.length, ours.length, "iteration " + i);
      assertEquals(canonical(theirs), canonical(ours), "iteration " + i);
    }
  }

  @Test
  void writesTheSameBytesAsOpenTelemetryForRepeatedAndManyDistinctEventNames() {
    // Event names come from a small cache by identity: constants that repeat, equal names that are
    // other objects, more distinct names than it holds, non-ASCII names and names too long for it.
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    Random random = new Random(11);
    for (int round = 0; round < 20; round++) {
      List<SpanData> spans = new ArrayList<>();
      for (int s = 0; s < 30; s++) {
        List<io.opentelemetry.sdk.trace.data.EventData> events = new ArrayList<>();
        for (int e = 0; e < 4; e++) {
          String name;
          switch (random.nextInt(5)) {
            case 0:
              name = "cache.lookup";
              break;
            case 1:
              name = new String("cache.lookup");
              break;
            case 2:
              name = "event-" + random.nextInt(200);
              break;
            case 3:
              name = "\u00e9v\u00e9nement-" + random.nextInt(3);
              break;
            default:
              name = "an-event-name-that-is-longer-than-sixty-two-bytes-and-so-never-cached";
          }
          events.add(
              io.opentelemetry.sdk.trace.data.EventData.create(
                  100 + e, name, Attributes.of(AttributeKey.longKey("n"), (long) e)));
        }
        SpanData span = span("span-" + s, Attributes.empty());
        spans.add(
            TestSpanData.builder()
                .setName(span.getName())
                .setKind(span.getKind())
                .setSpanContext(span.getSpanContext())
                .setResource(span.getResource())
                .setInstrumentationScopeInfo(span.getInstrumentationScopeInfo())
                .setStatus(span.getStatus())
                .setStartEpochNanos(1)
                .setEndEpochNanos(2)
                .setEvents(events)
                .setTotalRecordedEvents(events.size())
                .setHasEnded(true)
                .build());
      }
      assertArrayEquals(otelBytes(spans), encoder.encode(spans), "round " + round);
    }
  }

  @Test
  void writesTheSameBytesAsOpenTelemetryWhenKeysOutnumberTheKeyCache() {
    // More distinct keys per span than the key cache holds, so entries are replaced between the
    // size pass and the write pass of one span; plus keys too long to cache and non-ASCII keys.
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    for (int round = 0; round < 3; round++) {
      List<SpanData> spans = new ArrayList<>();
      for (int s = 0; s < 4; s++) {
        io.opentelemetry.api.common.AttributesBuilder attributes = Attributes.builder();
        for (int k = 0; k < 700; k++) {
          String key = k % 7 == 0 ? "k\u00e9y." + k : "key." + s + "." + k;
          attributes.put(key, k % 3 == 0 ? "v" + k : null);
          attributes.put(key + ".n", (long) k);
        }
        attributes.put("a-key-that-is-longer-than-sixty-two-bytes-and-so-never-cached-" + s, true);
        spans.add(span("span-" + s, attributes.build()));
      }
      assertArrayEquals(otelBytes(spans), encoder.encode(spans), "round " + round);
    }
  }

  @Test
  void writesUnpairedSurrogatesAsQuestionMarksLikeOpenTelemetry() throws Exception {
    RandomSpans random = new RandomSpans(44, true);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    for (int i = 0; i < 200; i++) {
      List<SpanData> spans = random.batch(10, 1, 1);
      byte[] ours = encoder.encode(spans);
      assertArrayEquals(otelBytes(spans), ours, "iteration " + i);
      ExportTraceServiceRequest.parseFrom(ours);
    }
    SpanData lone = span("a\uD800b\uDC00c", Attributes.empty());
    Span parsed =
        ExportTraceServiceRequest.parseFrom(encoder.encode(List.of(lone)))
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
    assertEquals("a?b?c", parsed.getName());
  }

  @Test
  void encodesAnEmptyBatchAsAnEmptyRequest() {
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    assertEquals(0, encoder.prepare(Collections.emptyList()));
    assertEquals(0, encoder.writeTo(new byte[0], 0));
    assertEquals(0, encoder.spanCount());
    assertArrayEquals(otelBytes(Collections.emptyList()), encoder.encode(List.of()));
  }

  @Test
  void encodesHugeAttributeArraysAndEmptyStrings() {
    List<String> strings = new ArrayList<>();
    List<Long> longs = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      strings.add(i % 7 == 0 ? "" : "value-" + i + "-é€😀");
      longs.add((long) i * -7919L);
    }
    Attributes attributes =
        Attributes.builder()
            .put(AttributeKey.stringArrayKey("strings"), strings)
            .put(AttributeKey.longArrayKey("longs"), longs)
            .put("empty", "")
            .build();
    List<SpanData> spans = List.of(span("", attributes), span("x", Attributes.empty()));
    assertArrayEquals(otelBytes(spans), new OtlpSpanEncoder().encode(spans));
  }

  @Test
  void setsRemoteParentFlagsLikeOpenTelemetry() throws Exception {
    String traceId = "0af7651916cd43dd8448eb211c80319c";
    SpanData remote =
        TestSpanData.builder()
            .setName("remote")
            .setKind(SpanKind.SERVER)
            .setSpanContext(
                SpanContext.create(
                    traceId, "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault()))
            .setParentSpanContext(
                SpanContext.createFromRemoteParent(
                    traceId, "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault()))
            .setStatus(StatusData.unset())
            .setStartEpochNanos(1)
            .setEndEpochNanos(2)
            .setHasEnded(true)
            .build();
    byte[] ours = new OtlpSpanEncoder().encode(List.of(remote));
    assertArrayEquals(otelBytes(List.of(remote)), ours);
    Span span =
        ExportTraceServiceRequest.parseFrom(ours).getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertEquals(0x301, span.getFlags());
    SpanData local = span("local", Attributes.empty());
    Span localSpan =
        ExportTraceServiceRequest.parseFrom(new OtlpSpanEncoder().encode(List.of(local)))
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
    assertEquals(0x100, localSpan.getFlags());
  }

  @Test
  void writesAtAnOffsetAndCanWriteAgain() {
    List<SpanData> spans = new RandomSpans(45, false).batch(20, 2, 2);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    int n = encoder.prepare(spans);
    byte[] dst = new byte[n + 10];
    assertEquals(n, encoder.writeTo(dst, 10));
    byte[] again = new byte[n];
    assertEquals(n, encoder.writeTo(again, 0));
    assertArrayEquals(again, java.util.Arrays.copyOfRange(dst, 10, n + 10));
  }

  @Test
  void rejectsADestinationThatIsTooSmall() {
    List<SpanData> spans = new RandomSpans(46, false).batch(5, 1, 1);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    int n = encoder.prepare(spans);
    IndexOutOfBoundsException e =
        assertThrows(IndexOutOfBoundsException.class, () -> encoder.writeTo(new byte[n + 3], 4));
    assertTrue(e.getMessage().contains("destination must have " + n + " bytes"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> encoder.writeTo(new byte[n], -1));
  }

  @Test
  void rejectsWriteToBeforePrepare() {
    assertThrows(IllegalStateException.class, () -> new OtlpSpanEncoder().writeTo(new byte[8], 0));
  }

  @Test
  void acceptsCollectionsThatAreNotLists() throws Exception {
    List<SpanData> spans = new RandomSpans(47, false).batch(30, 3, 3);
    byte[] fromSet = new OtlpSpanEncoder().encode(new LinkedHashSet<>(spans));
    assertEquals(canonical(otelBytes(spans)), canonical(fromSet));
  }

  @Test
  void allocatesNothingPerBatchInSteadyState() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    // VALUE attributes are left out: the Value API boxes longs and doubles when read.
    List<SpanData> spans = new RandomSpans(48, false, false).batch(64, 2, 2);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    byte[] dst = new byte[encoder.prepare(spans) + 16];
    for (int i = 0; i < 200; i++) {
      encoder.prepare(spans);
      encoder.writeTo(dst, 0);
    }
    long threadId = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(threadId);
    for (int i = 0; i < 1000; i++) {
      encoder.prepare(spans);
      encoder.writeTo(dst, 0);
    }
    long allocated = threads.getThreadAllocatedBytes(threadId) - before;
    // 1000 batches of 64 spans: anything per batch would show up as tens of kilobytes.
    assertTrue(allocated < 4096, "allocated " + allocated + " bytes over 1000 batches");
  }

  @Test
  void writesTheSameBytesAsOpenTelemetryWhereLengthPrefixesChangeWidth() {
    // Every message whose length is patched after its body is written, at sizes on both sides of
    // the one-, two- and three-byte varint boundaries, so the reserved prefix is too wide, right
    // and too narrow in turn.
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    int[] sizes = {0, 1, 40, 60, 70, 90, 100, 110, 120, 126, 127, 128, 129, 200, 16_250, 16_400};
    for (int size : sizes) {
      String text = "x".repeat(size);
      List<String> strings = List.of(text, "y");
      Attributes attributes =
          Attributes.builder()
              .put(AttributeKey.stringArrayKey("array"), strings)
              .put(AttributeKey.stringKey("s"), text)
              .put(
                  AttributeKey.valueKey("kv"),
                  io.opentelemetry.api.common.Value.of(
                      io.opentelemetry.api.common.KeyValue.of(
                          "inner", io.opentelemetry.api.common.Value.of(text))))
              .build();
      SpanData span =
          TestSpanData.builder()
              .setName(text)
              .setKind(SpanKind.CLIENT)
              .setSpanContext(
                  SpanContext.create(
                      "0af7651916cd43dd8448eb211c80319c",
                      "b7ad6b7169203331",
                      TraceFlags.getSampled(),
                      TraceState.builder().put("k", text.isEmpty() ? "v" : text).build()))
              .setResource(Resource.getDefault())
              .setInstrumentationScopeInfo(SCOPE)
              .setStatus(StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, text))
              .setAttributes(attributes)
              .setTotalAttributeCount(attributes.size())
              .setEvents(
                  List.of(
                      io.opentelemetry.sdk.trace.data.EventData.create(
                          3, text, Attributes.of(AttributeKey.stringKey("e"), text))))
              .setTotalRecordedEvents(1)
              .setLinks(
                  List.of(
                      io.opentelemetry.sdk.trace.data.LinkData.create(
                          SpanContext.create(
                              "1af7651916cd43dd8448eb211c80319c",
                              "c7ad6b7169203331",
                              TraceFlags.getDefault(),
                              TraceState.getDefault()),
                          Attributes.of(AttributeKey.stringKey("l"), text))))
              .setTotalRecordedLinks(1)
              .setStartEpochNanos(1)
              .setEndEpochNanos(2)
              .setHasEnded(true)
              .build();
      SpanData small = span(text.length() > 120 ? "n" : text, Attributes.empty());
      List<SpanData> spans = List.of(span, small);
      assertArrayEquals(otelBytes(spans), encoder.encode(spans), "size " + size);
    }
  }

  @Test
  void writesTheSameBytesAsOpenTelemetryWhenCachedValuesRepeatAndChange() {
    // Constant values (the same objects) repeat across spans and batches and get copied from the
    // cache; equal strings that are other objects, more values per key than the cache keeps, the
    // same key with other types, and booleans must all still give OpenTelemetry's bytes.
    String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    for (int batch = 0; batch < 20; batch++) {
      List<SpanData> spans = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        io.opentelemetry.api.common.AttributesBuilder attributes = Attributes.builder();
        attributes.put("method", methods[(i * 7 + batch) % methods.length]);
        attributes.put("copy", new String(methods[i % 2].toCharArray()));
        attributes.put("flag", i % 3 == 0);
        attributes.put("unique", "value-" + batch + "-" + i);
        attributes.put("m\u00e9thode", i % 2 == 0 ? "caf\u00e9" : "th\u00e9");
        if (i % 5 == 0) {
          attributes.put(AttributeKey.longKey("method.n"), i);
        }
        if (i % 4 == 0) {
          attributes.put(AttributeKey.booleanKey("copy.b"), true);
        }
        attributes.put("long.value", "v".repeat(100) + methods[i % 2]);
        spans.add(span(methods[i % 3], attributes.build()));
      }
      assertArrayEquals(otelBytes(spans), encoder.encode(spans), "batch " + batch);
    }
  }

  @Test
  void writesTheSameBytesAsOpenTelemetryBeforeAndAfterItsBufferShrinks() {
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    List<SpanData> huge =
        List.of(span("h", Attributes.of(AttributeKey.stringKey("big"), "b".repeat(1 << 20))));
    assertArrayEquals(otelBytes(huge), encoder.encode(huge));
    RandomSpans random = new RandomSpans(50, false);
    for (int i = 0; i < 200; i++) {
      List<SpanData> spans = random.batch(3, 1, 1);
      int n = encoder.prepare(spans);
      byte[] dst = new byte[n];
      encoder.writeTo(dst, 0);
      assertArrayEquals(otelBytes(spans), dst, "batch " + i);
    }
  }

  @Test
  void writesTheSameBytesAsOpenTelemetryForAttributesOfAnyImplementation() {
    // Attributes that are not the SDK's array-backed kind are read through forEach.
    Attributes sdk =
        Attributes.builder()
            .put("a", "x")
            .put("b", 7L)
            .put("c", true)
            .put(AttributeKey.doubleArrayKey("d"), List.of(1.5, 2.5))
            .build();
    Attributes other = new ForwardingAttributes(sdk);
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    byte[] ours = encoder.encode(List.of(span("s", other)));
    assertArrayEquals(otelBytes(List.of(span("s", sdk))), ours);
    assertArrayEquals(encoder.encode(List.of(span("s", sdk))), ours);
  }

  @Test
  void rejectsAnIdWithTooFewHexDigitsWithAClearError() {
    SpanContext shortIds = new ShortIdContext();
    SpanData span =
        TestSpanData.builder()
            .setName("short")
            .setKind(SpanKind.INTERNAL)
            .setSpanContext(shortIds)
            .setStatus(StatusData.unset())
            .setStartEpochNanos(1)
            .setEndEpochNanos(2)
            .setHasEnded(true)
            .build();
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> encoder.prepare(List.of(span)));
    assertEquals("id must have 32 hex digits: \"0af76519\"", e.getMessage());
    assertThrows(IllegalStateException.class, () -> encoder.writeTo(new byte[1024], 0));
    List<SpanData> good = new RandomSpans(49, false).batch(3, 1, 1);
    assertArrayEquals(otelBytes(good), encoder.encode(good));
  }

  /** A SpanContext whose trace id is too short, as only a hand-written implementation can be. */
  private static final class ShortIdContext implements SpanContext {
    @Override
    public String getTraceId() {
      return "0af76519";
    }

    @Override
    public String getSpanId() {
      return "b7ad6b7169203331";
    }

    @Override
    public TraceFlags getTraceFlags() {
      return TraceFlags.getSampled();
    }

    @Override
    public TraceState getTraceState() {
      return TraceState.getDefault();
    }

    @Override
    public boolean isRemote() {
      return false;
    }
  }

  /** Attributes that only forward to others, so they are not the SDK's own class. */
  private static final class ForwardingAttributes implements Attributes {
    private final Attributes delegate;

    ForwardingAttributes(Attributes delegate) {
      this.delegate = delegate;
    }

    @Override
    public <T> T get(AttributeKey<T> key) {
      return delegate.get(key);
    }

    @Override
    public void forEach(java.util.function.BiConsumer<? super AttributeKey<?>, ? super Object> c) {
      delegate.forEach(c);
    }

    @Override
    public int size() {
      return delegate.size();
    }

    @Override
    public boolean isEmpty() {
      return delegate.isEmpty();
    }

    @Override
    public java.util.Map<AttributeKey<?>, Object> asMap() {
      return delegate.asMap();
    }

    @Override
    public io.opentelemetry.api.common.AttributesBuilder toBuilder() {
      return delegate.toBuilder();
    }
  }

  private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("test");

  static SpanData span(String name, Attributes attributes) {
    return TestSpanData.builder()
        .setName(name)
        .setKind(SpanKind.INTERNAL)
        .setSpanContext(
            SpanContext.create(
                "0af7651916cd43dd8448eb211c80319c",
                "b7ad6b7169203331",
                TraceFlags.getDefault(),
                TraceState.getDefault()))
        .setResource(Resource.getDefault())
        .setInstrumentationScopeInfo(SCOPE)
        .setStatus(StatusData.unset())
        .setAttributes(attributes)
        .setTotalAttributeCount(attributes.size())
        .setStartEpochNanos(1)
        .setEndEpochNanos(2)
        .setHasEnded(true)
        .build();
  }
}
