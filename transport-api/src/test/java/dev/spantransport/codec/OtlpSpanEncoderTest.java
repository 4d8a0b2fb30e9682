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
