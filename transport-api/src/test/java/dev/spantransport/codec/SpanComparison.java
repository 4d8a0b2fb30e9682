package dev.spantransport.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Field-by-field comparison of SpanData and canonical forms of OTLP requests. */
final class SpanComparison {
  private SpanComparison() {}

  /** OpenTelemetry's own encoding of {@code spans}. */
  static byte[] otelBytes(Collection<SpanData> spans) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      TraceRequestMarshaler.create(spans).writeBinaryTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Parses {@code bytes} with protobuf-java and sorts ResourceSpans and their ScopeSpans by their
   * bytes, so two requests that differ only in group order compare equal.
   */
  static List<ByteString> canonical(byte[] bytes) throws InvalidProtocolBufferException {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(bytes);
    List<ByteString> result = new ArrayList<>();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      List<ScopeSpans> scopes = new ArrayList<>(rs.getScopeSpansList());
      scopes.sort(
          Comparator.comparing(
              ScopeSpans::toByteString, ByteString.unsignedLexicographicalComparator()));
      result.add(rs.toBuilder().clearScopeSpans().addAllScopeSpans(scopes).build().toByteString());
    }
    result.sort(ByteString.unsignedLexicographicalComparator());
    return result;
  }

  static void assertSpansEqual(List<SpanData> expected, List<SpanData> actual) {
    assertEquals(expected.size(), actual.size(), "span count");
    for (int i = 0; i < expected.size(); i++) {
      assertSpanEqual(expected.get(i), actual.get(i), "span[" + i + "]");
    }
  }

  static void assertSpanEqual(SpanData e, SpanData a, String where) {
    assertEquals(e.getName(), a.getName(), where + ".name");
    assertEquals(e.getKind(), a.getKind(), where + ".kind");
    assertContextEqual(e.getSpanContext(), a.getSpanContext(), where + ".spanContext");
    SpanContext ep = e.getParentSpanContext();
    SpanContext ap = a.getParentSpanContext();
    assertEquals(ep.isValid(), ap.isValid(), where + ".parent.valid");
    if (ep.isValid()) {
      assertEquals(ep.getSpanId(), ap.getSpanId(), where + ".parent.spanId");
      assertEquals(e.getTraceId(), ap.getTraceId(), where + ".parent.traceId");
      assertEquals(ep.isRemote(), ap.isRemote(), where + ".parent.remote");
    }
    assertEquals(e.getStatus().getStatusCode(), a.getStatus().getStatusCode(), where + ".status");
    assertEquals(e.getStatus().getDescription(), a.getStatus().getDescription(), where + ".status");
    assertEquals(e.getStartEpochNanos(), a.getStartEpochNanos(), where + ".start");
    assertEquals(e.getEndEpochNanos(), a.getEndEpochNanos(), where + ".end");
    assertAttributesEqual(e.getAttributes(), a.getAttributes(), where + ".attributes");
    assertEquals(
        e.getTotalAttributeCount(), a.getTotalAttributeCount(), where + ".totalAttributes");
    assertEquals(e.getEvents().size(), a.getEvents().size(), where + ".events");
    for (int i = 0; i < e.getEvents().size(); i++) {
      EventData ee = e.getEvents().get(i);
      EventData ae = a.getEvents().get(i);
      String w = where + ".events[" + i + "]";
      assertEquals(ee.getEpochNanos(), ae.getEpochNanos(), w + ".time");
      assertEquals(ee.getName(), ae.getName(), w + ".name");
      assertAttributesEqual(ee.getAttributes(), ae.getAttributes(), w + ".attributes");
      assertEquals(ee.getTotalAttributeCount(), ae.getTotalAttributeCount(), w + ".total");
    }
    assertEquals(e.getTotalRecordedEvents(), a.getTotalRecordedEvents(), where + ".totalEvents");
    assertEquals(e.getLinks().size(), a.getLinks().size(), where + ".links");
    for (int i = 0; i < e.getLinks().size(); i++) {
      LinkData el = e.getLinks().get(i);
      LinkData al = a.getLinks().get(i);
      String w = where + ".links[" + i + "]";
      assertContextEqual(el.getSpanContext(), al.getSpanContext(), w + ".context");
      assertEquals(el.getSpanContext().isRemote(), al.getSpanContext().isRemote(), w + ".remote");
      assertAttributesEqual(el.getAttributes(), al.getAttributes(), w + ".attributes");
      assertEquals(el.getTotalAttributeCount(), al.getTotalAttributeCount(), w + ".total");
    }
    assertEquals(e.getTotalRecordedLinks(), a.getTotalRecordedLinks(), where + ".totalLinks");
    assertResourceEqual(e.getResource(), a.getResource(), where + ".resource");
    assertScopeEqual(
        e.getInstrumentationScopeInfo(), a.getInstrumentationScopeInfo(), where + ".scope");
  }

  static void assertResourceEqual(Resource e, Resource a, String where) {
    assertEquals(emptyToNull(e.getSchemaUrl()), a.getSchemaUrl(), where + ".schemaUrl");
    assertAttributesEqual(e.getAttributes(), a.getAttributes(), where + ".attributes");
  }

  static void assertScopeEqual(
      InstrumentationScopeInfo e, InstrumentationScopeInfo a, String where) {
    assertEquals(e.getName(), a.getName(), where + ".name");
    assertEquals(emptyToNull(e.getVersion()), a.getVersion(), where + ".version");
    assertEquals(emptyToNull(e.getSchemaUrl()), a.getSchemaUrl(), where + ".schemaUrl");
    assertAttributesEqual(e.getAttributes(), a.getAttributes(), where + ".attributes");
  }

  private static void assertContextEqual(SpanContext e, SpanContext a, String where) {
    assertEquals(e.getTraceId(), a.getTraceId(), where + ".traceId");
    assertEquals(e.getSpanId(), a.getSpanId(), where + ".spanId");
    assertEquals(e.getTraceFlags(), a.getTraceFlags(), where + ".traceFlags");
    assertEquals(e.getTraceState().asMap(), a.getTraceState().asMap(), where + ".traceState");
    List<String> eOrder = new ArrayList<>();
    e.getTraceState().forEach((k, v) -> eOrder.add(k));
    List<String> aOrder = new ArrayList<>();
    a.getTraceState().forEach((k, v) -> aOrder.add(k));
    assertEquals(eOrder, aOrder, where + ".traceState order");
  }

  static void assertAttributesEqual(Attributes e, Attributes a, String where) {
    assertEquals(normalize(e), normalize(a), where);
  }

  /**
   * Attributes as a sorted map of key to "TYPE:value". OTLP does not carry the element type of an
   * empty array, so every empty array compares as "ARRAY:[]".
   */
  static Map<String, String> normalize(Attributes attributes) {
    Map<String, String> map = new TreeMap<>();
    attributes.forEach(
        (k, v) -> {
          String value;
          if (v instanceof List && ((List<?>) v).isEmpty()) {
            value = "ARRAY:[]";
          } else if (v instanceof Value) {
            value = "VALUE:" + describe((Value<?>) v);
          } else {
            value = k.getType() + ":" + v;
          }
          map.put(k.getKey(), value);
        });
    return map;
  }

  @SuppressWarnings("unchecked")
  private static String describe(Value<?> v) {
    switch (v.getType()) {
      case BYTES:
        {
          ByteBuffer b = (ByteBuffer) v.getValue();
          byte[] bytes = new byte[b.remaining()];
          b.duplicate().get(bytes);
          return "bytes" + java.util.Arrays.toString(bytes);
        }
      case ARRAY:
        {
          List<String> parts = new ArrayList<>();
          for (Value<?> x : (List<Value<?>>) v.getValue()) {
            parts.add(describe(x));
          }
          return (((List<?>) v.getValue()).isEmpty() ? "ARRAY:" : "array") + parts;
        }
      case KEY_VALUE_LIST:
        {
          List<String> parts = new ArrayList<>();
          for (KeyValue kv : (List<KeyValue>) v.getValue()) {
            parts.add(kv.getKey() + "=" + describe(kv.getValue()));
          }
          return "kvlist" + parts;
        }
      default:
        return v.getType() + ":" + v.getValue();
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
