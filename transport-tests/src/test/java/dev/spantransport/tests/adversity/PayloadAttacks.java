package dev.spantransport.tests.adversity;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.function.Predicate;

/**
 * Payloads a hostile guest sends to the host: identity claims hidden in every place OTLP lets a
 * guest put an attribute, and decode bombs (tiny protobuf messages that each become an object).
 */
public final class PayloadAttacks {

  /** The identity attribute a guest tries to forge. */
  public static final String FORGED_KEY = "spantransport.peer.socket_path";

  /** The forged value. */
  public static final String FORGED_PATH = "/forged/path";

  /** Name of every span a bomb frame carries. */
  public static final String BOMB_SPAN_NAME = "bomb";

  private PayloadAttacks() {}

  /**
   * One span whose resource, scope, span, event and link each carry {@value #FORGED_KEY} = {@value
   * #FORGED_PATH} plus one honest attribute {@code app.<level>=kept}: five forged attributes.
   */
  public static byte[] forgedIdentityRequest() {
    Span span =
        Span.newBuilder()
            .setTraceId(ByteString.copyFrom(bytes(16, 0x11)))
            .setSpanId(ByteString.copyFrom(bytes(8, 0x22)))
            .setName("forger")
            .setStartTimeUnixNano(1_700_000_000_000_000_000L)
            .setEndTimeUnixNano(1_700_000_000_000_001_000L)
            .addAttributes(forged())
            .addAttributes(kept("app.span"))
            .addEvents(
                Span.Event.newBuilder()
                    .setName("evt")
                    .setTimeUnixNano(1_700_000_000_000_000_500L)
                    .addAttributes(kept("app.event"))
                    .addAttributes(forged()))
            .addLinks(
                Span.Link.newBuilder()
                    .setTraceId(ByteString.copyFrom(bytes(16, 0x33)))
                    .setSpanId(ByteString.copyFrom(bytes(8, 0x44)))
                    .addAttributes(forged())
                    .addAttributes(kept("app.link")))
            .build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(
                    Resource.newBuilder()
                        .addAttributes(kept("service.name"))
                        .addAttributes(forged()))
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(
                            InstrumentationScope.newBuilder()
                                .setName("forger-scope")
                                .addAttributes(forged())
                                .addAttributes(kept("app.scope")))
                        .addSpans(span)))
        .build()
        .toByteArray();
  }

  /** Counts the attributes anywhere in a request whose key and value pass {@code match}. */
  public static int countAttributes(ExportTraceServiceRequest request, Predicate<KeyValue> match) {
    int n = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      n += count(rs.getResource().getAttributesList(), match);
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        n += count(ss.getScope().getAttributesList(), match);
        for (Span s : ss.getSpansList()) {
          n += count(s.getAttributesList(), match);
          for (Span.Event e : s.getEventsList()) {
            n += count(e.getAttributesList(), match);
          }
          for (Span.Link l : s.getLinksList()) {
            n += count(l.getAttributesList(), match);
          }
        }
      }
    }
    return n;
  }

  /**
   * Returns the number of empty events a one-span bomb request of at most {@code maxBytes} holds.
   */
  public static int bombEvents(int maxBytes) {
    // request tag+len(4) + resource_spans: scope_spans tag+len(4) + spans tag+len(4) + name (6)
    return (maxBytes - 3 * 5 - 6) / 2;
  }

  /**
   * An OTLP request of at most {@code maxBytes}: one span named {@value #BOMB_SPAN_NAME} holding
   * {@link #bombEvents(int)} empty events, two bytes each on the wire. Written by hand: it is
   * well-formed protobuf that protobuf-java parses, built without allocating millions of builders.
   */
  public static byte[] decodeBomb(int maxBytes) {
    int events = bombEvents(maxBytes);
    ByteArrayOutputStream span = new ByteArrayOutputStream(events * 2 + 16);
    span.write(0x2A); // Span.name, field 5, length-delimited
    span.write(BOMB_SPAN_NAME.length());
    span.writeBytes(BOMB_SPAN_NAME.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    byte[] emptyEvent = {0x5A, 0x00}; // Span.events, field 11, length 0
    for (int i = 0; i < events; i++) {
      span.write(emptyEvent, 0, 2);
    }
    byte[] scopeSpans = field(2, span.toByteArray()); // ScopeSpans.spans
    byte[] resourceSpans = field(2, scopeSpans); // ResourceSpans.scope_spans
    return field(1, resourceSpans); // ExportTraceServiceRequest.resource_spans
  }

  /** Sums a long counter's points whose attributes pass {@code points}; 0 if never recorded. */
  public static long counter(InMemoryMetricReader reader, String name) {
    long total = 0;
    for (MetricData m : reader.collectAllMetrics()) {
      if (m.getName().equals(name)) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          total += p.getValue();
        }
      }
    }
    return total;
  }

  /** Sums a long counter's points that carry {@code kind} as their {@code kind} attribute. */
  public static long counter(InMemoryMetricReader reader, String name, String kind) {
    long total = 0;
    for (MetricData m : reader.collectAllMetrics()) {
      if (m.getName().equals(name)) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          if (kind.equals(
              p.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("kind")))) {
            total += p.getValue();
          }
        }
      }
    }
    return total;
  }

  private static int count(java.util.List<KeyValue> attributes, Predicate<KeyValue> match) {
    int n = 0;
    for (KeyValue kv : attributes) {
      if (match.test(kv)) {
        n++;
      }
    }
    return n;
  }

  private static KeyValue forged() {
    return KeyValue.newBuilder()
        .setKey(FORGED_KEY)
        .setValue(AnyValue.newBuilder().setStringValue(FORGED_PATH))
        .build();
  }

  private static KeyValue kept(String key) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue("kept"))
        .build();
  }

  private static byte[] bytes(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  /** A length-delimited field, its length in shortest form. */
  private static byte[] field(int number, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(1 + 5 + body.length);
    b.put((byte) (number << 3 | 2));
    int len = body.length;
    while ((len & ~0x7F) != 0) {
      b.put((byte) (0x80 | (len & 0x7F)));
      len >>>= 7;
    }
    b.put((byte) len);
    b.put(body);
    return java.util.Arrays.copyOf(b.array(), b.position());
  }
}
