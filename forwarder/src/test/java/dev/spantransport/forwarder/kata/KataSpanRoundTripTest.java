package dev.spantransport.forwarder.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.codec.EndedSpans;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Generated spans written in the serde_json shape, framed, read back through {@link
 * KataFrameReader} and {@link KataSpanDecoder}, and exported to real OTel sinks.
 */
class KataSpanRoundTripTest {

  private static final String[] NAMES = {"", "a", "CreateContainer", "容器", "ü ✓ 🚀", "x\"y\\z\n"};

  private final KataSpanDecoder decoder = new KataSpanDecoder("kata-agent");

  private static long randomId(Random r) {
    long v;
    do {
      // Bias towards the edges of the unsigned range.
      switch (r.nextInt(4)) {
        case 0:
          v = -1L - r.nextInt(3); // near 2^64
          break;
        case 1:
          v = Long.MIN_VALUE + r.nextInt(3); // just above 2^63
          break;
        case 2:
          v = 1 + r.nextInt(1000);
          break;
        default:
          v = r.nextLong();
      }
    } while (v == 0);
    return v;
  }

  private static SpanContext randomContext(Random r, boolean allowRemote) {
    String traceId = TraceId.fromLongs(r.nextBoolean() ? 0 : randomId(r), randomId(r));
    TraceStateBuilder state = TraceState.builder();
    for (int i = r.nextInt(3); i > 0; i--) {
      state.put("k" + r.nextInt(100), "v" + r.nextInt(100));
    }
    TraceFlags flags = r.nextBoolean() ? TraceFlags.getSampled() : TraceFlags.getDefault();
    return allowRemote && r.nextBoolean()
        ? SpanContext.createFromRemoteParent(
            traceId, SpanId.fromLong(randomId(r)), flags, state.build())
        : SpanContext.create(traceId, SpanId.fromLong(randomId(r)), flags, state.build());
  }

  private static Attributes randomAttributes(Random r, int max) {
    AttributesBuilder b = Attributes.builder();
    int n = r.nextInt(max + 1);
    for (int i = 0; i < n; i++) {
      String key = "key." + i + NAMES[r.nextInt(NAMES.length)];
      switch (r.nextInt(8)) {
        case 0:
          b.put(AttributeKey.booleanKey(key), r.nextBoolean());
          break;
        case 1:
          b.put(AttributeKey.longKey(key), r.nextLong());
          break;
        case 2:
          b.put(AttributeKey.doubleKey(key), r.nextDouble() * 1e300 - 5e299);
          break;
        case 3:
          b.put(AttributeKey.stringKey(key), NAMES[r.nextInt(NAMES.length)]);
          break;
        case 4:
          b.put(AttributeKey.booleanArrayKey(key), List.of(r.nextBoolean(), r.nextBoolean()));
          break;
        case 5:
          b.put(AttributeKey.longArrayKey(key), List.of(r.nextLong(), Long.MIN_VALUE));
          break;
        case 6:
          b.put(AttributeKey.doubleArrayKey(key), List.of(r.nextDouble(), -0.5));
          break;
        default:
          b.put(AttributeKey.stringArrayKey(key), List.of(NAMES[r.nextInt(NAMES.length)], "s"));
      }
    }
    return b.build();
  }

  /** A random span as the decoder should rebuild it. */
  static SpanData randomSpan(Random r, boolean resourceNull) {
    SpanContext context = randomContext(r, false);
    SpanContext parent =
        r.nextBoolean()
            ? SpanContext.getInvalid()
            : SpanContext.create(
                context.getTraceId(),
                SpanId.fromLong(randomId(r)),
                context.getTraceFlags(),
                TraceState.getDefault());
    long start = (long) (r.nextDouble() * 9e18);
    long end = start + r.nextInt(1_000_000_000);
    Attributes attributes = randomAttributes(r, 12);
    List<EventData> events = new ArrayList<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      Attributes a = randomAttributes(r, 4);
      events.add(
          EventData.create(start + i, NAMES[r.nextInt(NAMES.length)], a, a.size() + r.nextInt(3)));
    }
    List<LinkData> links = new ArrayList<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      Attributes a = randomAttributes(r, 3);
      links.add(LinkData.create(randomContext(r, true), a, a.size() + r.nextInt(3)));
    }
    StatusData status;
    switch (r.nextInt(3)) {
      case 0:
        status = StatusData.unset();
        break;
      case 1:
        status = StatusData.ok();
        break;
      default:
        status = StatusData.create(StatusCode.ERROR, NAMES[r.nextInt(NAMES.length)]);
    }
    Resource resource =
        resourceNull
            ? Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "kata-agent"))
            : Resource.create(
                Attributes.builder()
                    .put("service.name", "vm-" + r.nextInt())
                    .put("host.arch", NAMES[r.nextInt(NAMES.length)])
                    .put("process.pid", r.nextLong())
                    .put("tags", "a", "b")
                    .build());
    SpanKind kind = SpanKind.values()[r.nextInt(SpanKind.values().length)];
    return EndedSpans.create(
        resource,
        InstrumentationScopeInfo.empty(),
        NAMES[r.nextInt(NAMES.length)],
        kind,
        context,
        parent,
        status,
        start,
        end,
        attributes,
        attributes.size() + r.nextInt(5),
        events,
        events.size() + r.nextInt(5),
        links,
        links.size() + r.nextInt(5));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 5, 8, 13})
  void decodesGeneratedSpansExactlyThroughFramesSplitAtRandom(long seed) throws Exception {
    Random r = new Random(seed);
    List<SpanData> expected = new ArrayList<>();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 50; i++) {
      boolean resourceNull = r.nextInt(4) == 0;
      SpanData span = randomSpan(r, resourceNull);
      expected.add(span);
      stream.writeBytes(SerdeSpanWriter.frame(SerdeSpanWriter.write(span, resourceNull)));
    }
    List<SpanData> decoded = new ArrayList<>();
    KataFrameReader reader = new KataFrameReader();
    for (byte[] payload :
        KataFrameReaderTest.feed(stream.toByteArray(), i -> 1 + r.nextInt(500), reader)) {
      decoded.add(decoder.decode(payload, 0, payload.length));
    }
    assertEquals(expected, decoded);
  }

  @Test
  void exportsDecodedSpanToInMemoryExporter() throws Exception {
    byte[] json = KataSpanDecoderTest.fixture("full-span.json");
    SpanData decoded = decoder.decode(json, 0, json.length);
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    assertTrue(exporter.export(List.of(decoded)).isSuccess());
    List<SpanData> finished = exporter.getFinishedSpanItems();
    assertEquals(1, finished.size());
    SpanData span = finished.get(0);
    assertEquals("fedcba98765432100123456789abcdef", span.getTraceId());
    assertEquals("f00dfeedcafebabe", span.getSpanId());
    assertEquals("8000000000000001", span.getParentSpanId());
    assertEquals("CreateContainer – 容器 ✓", span.getName());
    assertEquals(SpanKind.SERVER, span.getKind());
    assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
    assertEquals("container failed: exit 137", span.getStatus().getDescription());
    assertEquals(12, span.getTotalAttributeCount());
    assertEquals(2, span.getEvents().size());
    assertEquals(1, span.getLinks().size());
    assertEquals(
        "kata-agent-vm1", span.getResource().getAttribute(AttributeKey.stringKey("service.name")));
    exporter.shutdown();
  }

  @Test
  void marshalsDecodedSpanWithTheOtlpExporterEncoding() throws Exception {
    byte[] json = KataSpanDecoderTest.fixture("full-span.json");
    SpanData decoded = decoder.decode(json, 0, json.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TraceRequestMarshaler.create(List.of(decoded)).writeJsonTo(out);
    String otlp = out.toString(StandardCharsets.UTF_8);
    assertTrue(otlp.contains("\"traceId\":\"fedcba98765432100123456789abcdef\""), otlp);
    assertTrue(otlp.contains("\"parentSpanId\":\"8000000000000001\""), otlp);
    assertTrue(otlp.contains("\"droppedAttributesCount\":3"), otlp);
    assertTrue(otlp.contains("\"droppedEventsCount\":2"), otlp);
    assertTrue(otlp.contains("\"traceState\":\"vendor1=alpha,vendor2=beta\""), otlp);
    assertTrue(otlp.contains("\"message\":\"container failed: exit 137\""), otlp);
  }
}
