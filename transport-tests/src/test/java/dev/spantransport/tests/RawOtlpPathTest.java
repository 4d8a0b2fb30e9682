package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.spantransport.sink.OtlpHttpSink;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's raw path checked by an independent decoder: what {@link OtlpHttpSink} forwards to
 * a loopback HTTP server is parsed with protobuf-java's generated {@code opentelemetry-proto}
 * classes and must match, span for span and field for field, what the guest SDK produced (captured
 * in the guest by an {@link InMemorySpanExporter} next to the {@link VsockSpanExporter}), with the
 * guest identity on the resource.
 */
class RawOtlpPathTest {

  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path dir;

  @Test
  void forwardedOtlpMatchesTheGuestSdkSpanForSpanWithIdentityOnTheResource() throws Exception {
    LinkedBlockingQueue<byte[]> bodies = new LinkedBlockingQueue<>();
    HttpServer collector =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/v1/traces",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            bodies.add(in.readAllBytes());
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    collector.start();
    Path socket = dir.resolve("raw.sock");
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint("unix:" + socket)
            .addSink(
                OtlpHttpSink.builder()
                    .setEndpoint("http://127.0.0.1:" + collector.getAddress().getPort())
                    .build())
            .build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess(), "receiver start");
    InMemorySpanExporter inGuest = InMemorySpanExporter.create();
    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
    io.opentelemetry.sdk.resources.Resource guestResource =
        io.opentelemetry.sdk.resources.Resource.getDefault()
            .merge(
                io.opentelemetry.sdk.resources.Resource.builder()
                    .put("service.name", "raw-guest")
                    .put("host.name", "guest-1")
                    // A guest cannot claim an identity: the receiver replaces this.
                    .put(PeerAttributes.PID, 1L)
                    .build());
    SdkTracerProvider guest =
        SdkTracerProvider.builder()
            .setResource(guestResource)
            .addSpanProcessor(SimpleSpanProcessor.create(inGuest))
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter).setMaxExportBatchSize(16).build())
            .build();
    try {
      makeSpans(guest.get("scope-a", "1.2.3"), guest.get("scope-b"));
      assertTrue(guest.forceFlush().join(20, TimeUnit.SECONDS).isSuccess(), "guest flush");
      assertTrue(exporter.flush().join(20, TimeUnit.SECONDS).isSuccess(), "all acked");

      List<SpanData> produced = inGuest.getFinishedSpanItems();
      Map<String, Received> forwarded = awaitForwarded(bodies, produced.size());
      assertEquals(produced.size(), forwarded.size(), "distinct spans forwarded");
      for (SpanData expected : produced) {
        Received actual = forwarded.get(expected.getSpanId());
        assertNotNull(actual, "span " + expected.getSpanId() + " (" + expected.getName() + ")");
        assertSpan(expected, actual);
        assertResource(guestResource, actual.resource, socket);
      }
    } finally {
      guest.shutdown().join(20, TimeUnit.SECONDS);
      assertTrue(receiver.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "receiver shutdown");
      collector.stop(0);
    }
  }

  /** 60 spans in two scopes: every kind, attribute types, events, links, statuses, nesting. */
  private static void makeSpans(Tracer a, Tracer b) {
    SpanKind[] kinds = SpanKind.values();
    Span previous = null;
    for (int t = 0; t < 6; t++) {
      Span root = a.spanBuilder("request-" + t).setSpanKind(SpanKind.SERVER).startSpan();
      root.setAttribute("http.request.method", "GET")
          .setAttribute("http.response.status_code", 200L)
          .setAttribute("sampled.ratio", 0.25)
          .setAttribute("cache.hit", t % 2 == 0)
          .setAttribute(AttributeKey.stringArrayKey("tags"), List.of("x", "y", "ü-日本"))
          .setAttribute(AttributeKey.longArrayKey("sizes"), List.of(1L, 2L, 3L))
          .setAttribute(AttributeKey.booleanArrayKey("flags"), List.of(true, false))
          .setAttribute(AttributeKey.doubleArrayKey("ratios"), List.of(0.5, 1.5));
      for (int c = 0; c < 9; c++) {
        Tracer tracer = c % 2 == 0 ? a : b;
        var builder =
            tracer
                .spanBuilder("step-" + t + "-" + c)
                .setSpanKind(kinds[c % kinds.length])
                .setParent(Context.root().with(root))
                .setAttribute("step", (long) c);
        if (previous != null && c == 0) {
          builder.addLink(
              previous.getSpanContext(), Attributes.of(AttributeKey.stringKey("why"), "follows"));
        }
        Span child = builder.startSpan();
        child.addEvent("checkpoint", Attributes.of(AttributeKey.longKey("at"), (long) c));
        if (c == 3) {
          child.setStatus(StatusCode.ERROR, "step " + c + " failed");
          child.recordException(new IllegalStateException("boom " + t));
        } else if (c == 4) {
          child.setStatus(StatusCode.OK);
        }
        child.end();
      }
      root.end();
      previous = root;
    }
  }

  /** The spans of every forwarded body, by span id (hex); fails on a duplicate. */
  private static Map<String, Received> awaitForwarded(LinkedBlockingQueue<byte[]> bodies, int spans)
      throws Exception {
    Map<String, Received> out = new LinkedHashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.size() < spans) {
      byte[] body = bodies.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (body == null) {
        fail("forwarded " + out.size() + " of " + spans + " spans");
      }
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
      for (ResourceSpans rs : request.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (io.opentelemetry.proto.trace.v1.Span span : ss.getSpansList()) {
            String id = HEX.formatHex(span.getSpanId().toByteArray());
            if (out.put(id, new Received(rs.getResource(), ss.getScope(), span)) != null) {
              fail("span " + id + " forwarded twice");
            }
          }
        }
      }
    }
    return out;
  }

  private static void assertSpan(SpanData expected, Received actual) {
    io.opentelemetry.proto.trace.v1.Span span = actual.span;
    String what = expected.getName();
    assertEquals(expected.getTraceId(), HEX.formatHex(span.getTraceId().toByteArray()), what);
    assertEquals(
        expected.getParentSpanContext().isValid() ? expected.getParentSpanId() : "",
        HEX.formatHex(span.getParentSpanId().toByteArray()),
        what);
    assertEquals(expected.getName(), span.getName());
    assertEquals(expected.getKind().ordinal() + 1, span.getKindValue(), what + " kind");
    assertEquals(expected.getStartEpochNanos(), span.getStartTimeUnixNano(), what);
    assertEquals(expected.getEndEpochNanos(), span.getEndTimeUnixNano(), what);
    assertEquals(otel(expected.getAttributes()), proto(span.getAttributesList()), what);
    assertEquals(expected.getEvents().size(), span.getEventsCount(), what + " events");
    for (int i = 0; i < expected.getEvents().size(); i++) {
      EventData event = expected.getEvents().get(i);
      assertEquals(event.getName(), span.getEvents(i).getName(), what);
      assertEquals(event.getEpochNanos(), span.getEvents(i).getTimeUnixNano(), what);
      assertEquals(otel(event.getAttributes()), proto(span.getEvents(i).getAttributesList()), what);
    }
    assertEquals(expected.getLinks().size(), span.getLinksCount(), what + " links");
    for (int i = 0; i < expected.getLinks().size(); i++) {
      LinkData link = expected.getLinks().get(i);
      assertEquals(
          link.getSpanContext().getSpanId(),
          HEX.formatHex(span.getLinks(i).getSpanId().toByteArray()),
          what);
      assertEquals(
          link.getSpanContext().getTraceId(),
          HEX.formatHex(span.getLinks(i).getTraceId().toByteArray()),
          what);
      assertEquals(otel(link.getAttributes()), proto(span.getLinks(i).getAttributesList()), what);
    }
    assertEquals(
        expected.getStatus().getStatusCode().ordinal(), span.getStatus().getCodeValue(), what);
    assertEquals(expected.getStatus().getDescription(), span.getStatus().getMessage(), what);
    InstrumentationScope scope = actual.scope;
    assertEquals(expected.getInstrumentationScopeInfo().getName(), scope.getName(), what);
    String version = expected.getInstrumentationScopeInfo().getVersion();
    assertEquals(version == null ? "" : version, scope.getVersion(), what);
  }

  /** Guest attributes without reserved keys, plus exactly the receiver's unix identity. */
  private static void assertResource(
      io.opentelemetry.sdk.resources.Resource guest, Resource actual, Path socket) {
    Map<String, Object> attributes = proto(actual.getAttributesList());
    Map<String, Object> identity = new HashMap<>();
    Map<String, Object> rest = new HashMap<>();
    attributes.forEach(
        (k, v) -> (k.startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX) ? identity : rest).put(k, v));
    Map<String, Object> expectedRest = otel(guest.getAttributes());
    expectedRest.keySet().removeIf(k -> k.startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX));
    assertEquals(expectedRest, rest, "guest resource attributes");
    assertEquals("unix", identity.get(PeerAttributes.TRANSPORT.getKey()));
    // The default (JDK) Unix channels report the peer's user; pid/uid/gid come with junixsocket's
    // (the *IT tests run that way).
    assertEquals(System.getProperty("user.name"), identity.get(PeerAttributes.USER.getKey()));
    assertEquals(socket.toString(), identity.get(PeerAttributes.SOCKET_PATH.getKey()));
    identity
        .keySet()
        .removeAll(
            List.of(
                PeerAttributes.TRANSPORT.getKey(),
                PeerAttributes.USER.getKey(),
                PeerAttributes.SOCKET_PATH.getKey(),
                PeerAttributes.USER.getKey()));
    assertEquals(Map.of(), identity, "no other identity attributes");
  }

  private static Map<String, Object> otel(Attributes attributes) {
    Map<String, Object> out = new HashMap<>();
    attributes.forEach((k, v) -> out.put(k.getKey(), v));
    return out;
  }

  private static Map<String, Object> proto(List<KeyValue> attributes) {
    Map<String, Object> out = new HashMap<>();
    for (KeyValue kv : attributes) {
      if (out.put(kv.getKey(), value(kv.getValue())) != null) {
        fail("attribute " + kv.getKey() + " appears twice");
      }
    }
    return out;
  }

  private static Object value(AnyValue value) {
    switch (value.getValueCase()) {
      case STRING_VALUE:
        return value.getStringValue();
      case BOOL_VALUE:
        return value.getBoolValue();
      case INT_VALUE:
        return value.getIntValue();
      case DOUBLE_VALUE:
        return value.getDoubleValue();
      case ARRAY_VALUE:
        List<Object> list = new ArrayList<>();
        for (AnyValue v : value.getArrayValue().getValuesList()) {
          list.add(value(v));
        }
        return list;
      default:
        throw new AssertionError("unexpected attribute value type: " + value);
    }
  }

  private static final class Received {
    final Resource resource;
    final InstrumentationScope scope;
    final io.opentelemetry.proto.trace.v1.Span span;

    Received(
        Resource resource, InstrumentationScope scope, io.opentelemetry.proto.trace.v1.Span span) {
      this.resource = resource;
      this.scope = scope;
      this.span = span;
    }
  }
}
