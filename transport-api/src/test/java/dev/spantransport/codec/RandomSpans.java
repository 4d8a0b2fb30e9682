package dev.spantransport.codec;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded generator of {@link SpanData} of every shape the codec must handle. */
final class RandomSpans {
  private static final String[] FRAGMENTS = {
    "a", "http.method", "GET", "é", "ü", "€", "中文", "😀", "\uD83D\uDE00x", " ", "/api/v1/items", "0"
  };

  private final Random random;
  private final boolean unpairedSurrogates;
  private final boolean valueAttributes;
  private final List<Resource> resources = new ArrayList<>();
  private final List<InstrumentationScopeInfo> scopes = new ArrayList<>();

  RandomSpans(long seed, boolean unpairedSurrogates) {
    this(seed, unpairedSurrogates, true);
  }

  /**
   * @param valueAttributes whether to generate {@code VALUE} attributes (key-value lists, bytes,
   *     mixed arrays); reading their numbers boxes, so allocation tests leave them out
   */
  RandomSpans(long seed, boolean unpairedSurrogates, boolean valueAttributes) {
    this.random = new Random(seed);
    this.unpairedSurrogates = unpairedSurrogates;
    this.valueAttributes = valueAttributes;
    for (int i = 0; i < 3; i++) {
      resources.add(
          Resource.create(
              attributes(0, true),
              random.nextBoolean() ? null : "https://opentelemetry.io/schemas/1.2" + i));
    }
    // Equal content but a distinct object: grouped separately, as OpenTelemetry does.
    resources.add(
        Resource.create(resources.get(0).getAttributes(), resources.get(0).getSchemaUrl()));
    resources.add(Resource.empty());
    for (int i = 0; i < 3; i++) {
      var builder = InstrumentationScopeInfo.builder(i == 2 ? "" : "scope-" + i + string(4));
      if (random.nextBoolean()) {
        builder.setVersion("1." + i);
      }
      if (random.nextBoolean()) {
        builder.setSchemaUrl("https://example.com/schema/" + i);
      }
      if (random.nextBoolean()) {
        builder.setAttributes(attributes(0));
      }
      scopes.add(builder.build());
    }
  }

  /**
   * A batch of {@code n} spans over {@code resourceCount} resources and {@code scopeCount} scopes.
   */
  List<SpanData> batch(int n, int resourceCount, int scopeCount) {
    List<SpanData> spans = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      spans.add(
          span(
              resources.get(random.nextInt(Math.min(resourceCount, resources.size()))),
              scopes.get(random.nextInt(Math.min(scopeCount, scopes.size())))));
    }
    return spans;
  }

  SpanData span(Resource resource, InstrumentationScopeInfo scope) {
    String traceId = traceId();
    SpanContext context = SpanContext.create(traceId, spanId(), flags(), traceState());
    SpanContext parent;
    switch (random.nextInt(3)) {
      case 0:
        parent = SpanContext.getInvalid();
        break;
      case 1:
        parent =
            SpanContext.create(traceId, spanId(), context.getTraceFlags(), TraceState.getDefault());
        break;
      default:
        parent =
            SpanContext.createFromRemoteParent(
                traceId, spanId(), context.getTraceFlags(), TraceState.getDefault());
    }
    Attributes attributes = attributes(0);
    List<EventData> events = new ArrayList<>();
    int eventCount = random.nextInt(4);
    for (int i = 0; i < eventCount; i++) {
      Attributes eventAttributes = attributes(0);
      events.add(
          EventData.create(
              time(), string(6), eventAttributes, eventAttributes.size() + random.nextInt(3)));
    }
    List<LinkData> links = new ArrayList<>();
    int linkCount = random.nextInt(3);
    for (int i = 0; i < linkCount; i++) {
      SpanContext linked =
          random.nextBoolean()
              ? SpanContext.create(traceId(), spanId(), flags(), traceState())
              : SpanContext.createFromRemoteParent(traceId(), spanId(), flags(), traceState());
      Attributes linkAttributes = attributes(0);
      links.add(LinkData.create(linked, linkAttributes, linkAttributes.size() + random.nextInt(2)));
    }
    long start = random.nextInt(10) == 0 ? 0 : time();
    return TestSpanData.builder()
        .setResource(resource)
        .setInstrumentationScopeInfo(scope)
        .setName(random.nextInt(10) == 0 ? "" : string(12))
        .setKind(SpanKind.values()[random.nextInt(SpanKind.values().length)])
        .setSpanContext(context)
        .setParentSpanContext(parent)
        .setStatus(status())
        .setStartEpochNanos(start)
        .setEndEpochNanos(random.nextInt(10) == 0 ? 0 : start + random.nextInt(1_000_000))
        .setAttributes(attributes)
        .setTotalAttributeCount(
            attributes.size() + (random.nextInt(4) == 0 ? random.nextInt(300) : 0))
        .setEvents(events)
        .setTotalRecordedEvents(events.size() + (random.nextInt(4) == 0 ? random.nextInt(5) : 0))
        .setLinks(links)
        .setTotalRecordedLinks(links.size() + (random.nextInt(4) == 0 ? random.nextInt(5) : 0))
        .setHasEnded(true)
        .build();
  }

  private StatusData status() {
    switch (random.nextInt(4)) {
      case 0:
        return StatusData.unset();
      case 1:
        return StatusData.ok();
      case 2:
        return StatusData.create(StatusCode.ERROR, string(10));
      default:
        return StatusData.create(StatusCode.ERROR, "");
    }
  }

  Attributes attributes(int depth) {
    return attributes(depth, false);
  }

  /** Random attributes; resource attribute keys must be ASCII, so {@code asciiKeys} forces that. */
  Attributes attributes(int depth, boolean asciiKeys) {
    AttributesBuilder b = Attributes.builder();
    int n = random.nextInt(depth == 0 ? 9 : 3);
    for (int i = 0; i < n; i++) {
      String key = "k" + i + (asciiKeys ? Integer.toString(random.nextInt(100)) : string(3));
      switch (random.nextInt(valueAttributes ? 10 : 8)) {
        case 0:
          b.put(key, string(20));
          break;
        case 1:
          b.put(key, random.nextBoolean());
          break;
        case 2:
          b.put(
              key,
              random.nextInt(4) == 0
                  ? -random.nextLong()
                  : random.nextLong() >>> random.nextInt(64));
          break;
        case 3:
          b.put(key, random.nextInt(5) == 0 ? -0.0 : random.nextDouble() * 1e6);
          break;
        case 4:
          {
            List<String> values = new ArrayList<>();
            int m = random.nextInt(5);
            for (int j = 0; j < m; j++) {
              values.add(string(5));
            }
            b.put(AttributeKey.stringArrayKey(key), values);
            break;
          }
        case 5:
          {
            List<Long> values = new ArrayList<>();
            int m = random.nextInt(5);
            for (int j = 0; j < m; j++) {
              values.add(random.nextLong());
            }
            b.put(AttributeKey.longArrayKey(key), values);
            break;
          }
        case 6:
          {
            List<Boolean> values = new ArrayList<>();
            int m = 1 + random.nextInt(4);
            for (int j = 0; j < m; j++) {
              values.add(random.nextBoolean());
            }
            b.put(AttributeKey.booleanArrayKey(key), values);
            break;
          }
        case 7:
          {
            List<Double> values = new ArrayList<>();
            int m = 1 + random.nextInt(4);
            for (int j = 0; j < m; j++) {
              values.add(random.nextDouble());
            }
            b.put(AttributeKey.doubleArrayKey(key), values);
            break;
          }
        default:
          b.put(AttributeKey.valueKey(key), value(depth));
      }
    }
    return b.build();
  }

  Value<?> value(int depth) {
    switch (random.nextInt(depth < 3 ? 5 : 3)) {
      case 0:
        {
          byte[] bytes = new byte[random.nextInt(20)];
          random.nextBytes(bytes);
          return Value.of(bytes);
        }
      case 1:
        return Value.empty();
      case 2:
        return Value.of(string(4));
      case 3:
        {
          // heterogeneous array: stays a VALUE attribute
          List<Value<?>> values = new ArrayList<>();
          values.add(Value.of(random.nextLong()));
          values.add(Value.of(string(3)));
          int m = random.nextInt(3);
          for (int j = 0; j < m; j++) {
            values.add(value(depth + 1));
          }
          return Value.of(values);
        }
      default:
        {
          List<KeyValue> values = new ArrayList<>();
          int m = random.nextInt(4);
          for (int j = 0; j < m; j++) {
            values.add(KeyValue.of("kv" + j, value(depth + 1)));
          }
          return Value.of(values.toArray(new KeyValue[0]));
        }
    }
  }

  String string(int maxFragments) {
    StringBuilder sb = new StringBuilder();
    int n = random.nextInt(maxFragments + 1);
    for (int i = 0; i < n; i++) {
      if (unpairedSurrogates && random.nextInt(20) == 0) {
        sb.append(random.nextBoolean() ? '\uD800' : '\uDC00');
      } else if (random.nextInt(3) == 0) {
        sb.append((char) ('a' + random.nextInt(26)));
      } else {
        sb.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
      }
    }
    return sb.toString();
  }

  private String traceId() {
    switch (random.nextInt(8)) {
      case 0:
        return TraceId.fromLongs(-1L, -1L);
      case 1:
        return TraceId.fromLongs(0, 1);
      default:
        long hi = random.nextLong();
        long lo = random.nextLong();
        return TraceId.fromLongs(hi, lo == 0 ? 1 : lo);
    }
  }

  private String spanId() {
    switch (random.nextInt(8)) {
      case 0:
        return SpanId.fromLong(-1L);
      default:
        long id = random.nextLong();
        return SpanId.fromLong(id == 0 ? 1 : id);
    }
  }

  private TraceFlags flags() {
    return random.nextBoolean() ? TraceFlags.getSampled() : TraceFlags.getDefault();
  }

  private TraceState traceState() {
    if (random.nextInt(3) != 0) {
      return TraceState.getDefault();
    }
    TraceStateBuilder builder = TraceState.builder();
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n; i++) {
      builder.put("vendor" + i, "v" + random.nextInt(1000));
    }
    return builder.build();
  }

  private long time() {
    switch (random.nextInt(10)) {
      case 0:
        return 0;
      case 1:
        return Long.MAX_VALUE;
      default:
        return 1_700_000_000_000_000_000L + random.nextInt(Integer.MAX_VALUE);
    }
  }
}
