package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder in-process with {@code --zipkin-endpoint} pointing at a loopback HTTP server that
 * keeps every POST body; a span-transport guest sends spans over a Unix socket, and the bodies must
 * be Zipkin JSON v2 carrying those spans and the guest's identity.
 */
class ForwarderZipkinTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long T0 = 1_700_000_000_000_000_000L; // epoch nanos, whole microseconds

  @TempDir Path dir;

  private HttpServer collector;
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();
  private final List<byte[]> bodies = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startCollector() throws Exception {
    collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/api/v2/spans",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            if ("POST".equals(exchange.getRequestMethod())) {
              contentTypes.add(
                  String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
              bodies.add(in.readAllBytes());
              exchange.sendResponseHeaders(202, -1);
            } else {
              exchange.sendResponseHeaders(405, -1);
            }
          } finally {
            exchange.close();
          }
        });
    collector.start();
  }

  @AfterEach
  void stopCollector() {
    collector.stop(0);
  }

  @Test
  void sendsGuestSpansToZipkinAsJsonV2WithGuestIdentityTags() throws Exception {
    Path socket = dir.resolve("zipkin-forwarder.sock");
    String url = "http://127.0.0.1:" + collector.getAddress().getPort() + "/api/v2/spans";
    InProcessForwarder forwarder =
        InProcessForwarder.start("--zipkin-endpoint", url, "--listen", "unix:" + socket);

    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
    SdkTracerProvider guest =
        SdkTracerProvider.builder()
            .setResource(
                Resource.empty().toBuilder()
                    .put("service.name", "orders")
                    .put("host.name", "vm-7")
                    .build())
            .addSpanProcessor(SimpleSpanProcessor.create(exporter))
            .build();
    Tracer tracer = guest.get("zipkin-test", "1.2.3");
    Span root =
        tracer
            .spanBuilder("GET /orders")
            .setSpanKind(SpanKind.SERVER)
            .setStartTimestamp(T0, TimeUnit.NANOSECONDS)
            .setAttribute("http.request.method", "GET")
            .startSpan();
    Span call =
        tracer
            .spanBuilder("SELECT orders")
            .setSpanKind(SpanKind.CLIENT)
            .setParent(Context.root().with(root))
            .setStartTimestamp(T0 + 1_000_000, TimeUnit.NANOSECONDS)
            .setAttribute("db.rows", 3L)
            .startSpan();
    call.addEvent(
        "retry",
        Attributes.of(AttributeKey.longKey("attempt"), 2L),
        T0 + 2_000_000,
        TimeUnit.NANOSECONDS);
    call.end(T0 + 5_500_000, TimeUnit.NANOSECONDS);
    Span work =
        tracer
            .spanBuilder("render")
            .setParent(Context.root().with(root))
            .setStartTimestamp(T0 + 6_000_000, TimeUnit.NANOSECONDS)
            .startSpan();
    work.setStatus(StatusCode.ERROR, "template missing");
    work.end(T0 + 7_000_000, TimeUnit.NANOSECONDS);
    root.end(T0 + 9_000_000, TimeUnit.NANOSECONDS);
    assertTrue(guest.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "guest spans acked");
    forwarder.awaitAccepted(3);
    assertEquals(0, forwarder.stop(), forwarder.err());

    Map<String, JsonNode> byId = new HashMap<>();
    for (byte[] body : bodies) {
      JsonNode array = JSON.readTree(body);
      assertTrue(array.isArray(), "a JSON v2 body is an array of spans: " + array);
      for (JsonNode span : array) {
        byId.put(span.get("id").asText(), span);
      }
    }
    assertFalse(contentTypes.isEmpty(), "nothing was posted; log: " + forwarder.err());
    for (String type : contentTypes) {
      assertTrue(type.startsWith("application/json"), "content type: " + type);
    }
    String traceId = root.getSpanContext().getTraceId();
    String rootId = root.getSpanContext().getSpanId();
    assertEquals(
        java.util.Set.of(
            rootId, call.getSpanContext().getSpanId(), work.getSpanContext().getSpanId()),
        byId.keySet(),
        "span ids posted");

    JsonNode r = byId.get(rootId);
    assertEquals(traceId, r.get("traceId").asText());
    assertFalse(r.has("parentId"), "root has no parentId: " + r);
    assertEquals("get /orders", r.get("name").asText(), "Zipkin's model lowercases names");
    assertEquals("SERVER", r.get("kind").asText());
    assertEquals(T0 / 1000, r.get("timestamp").asLong());
    assertEquals(9_000, r.get("duration").asLong());
    assertEquals("GET", r.get("tags").get("http.request.method").asText());

    JsonNode c = byId.get(call.getSpanContext().getSpanId());
    assertEquals(traceId, c.get("traceId").asText());
    assertEquals(rootId, c.get("parentId").asText());
    assertEquals("select orders", c.get("name").asText());
    assertEquals("CLIENT", c.get("kind").asText());
    assertEquals(T0 / 1000 + 1_000, c.get("timestamp").asLong());
    assertEquals(4_500, c.get("duration").asLong());
    assertEquals("3", c.get("tags").get("db.rows").asText());
    JsonNode annotations = c.get("annotations");
    assertNotNull(annotations, "events become annotations: " + c);
    assertEquals(1, annotations.size());
    assertEquals(T0 / 1000 + 2_000, annotations.get(0).get("timestamp").asLong());
    assertTrue(
        annotations.get(0).get("value").asText().startsWith("retry"), annotations.toString());

    JsonNode w = byId.get(work.getSpanContext().getSpanId());
    assertEquals(rootId, w.get("parentId").asText());
    assertFalse(w.has("kind"), "INTERNAL maps to no kind: " + w);
    assertEquals("ERROR", w.get("tags").get("otel.status_code").asText());
    assertEquals("template missing", w.get("tags").get("error").asText());
    assertFalse(r.get("tags").has("error"), "unset status is no error: " + r);

    for (JsonNode span : byId.values()) {
      assertEquals(
          "orders", span.get("localEndpoint").get("serviceName").asText(), span.toString());
      JsonNode tags = span.get("tags");
      assertFalse(tags.has("service.name"), "service.name is the localEndpoint, not a tag");
      assertEquals("vm-7", tags.path("host.name").asText(), "resource attribute tag");
      assertEquals("unix", tags.path(SpanBatch.PEER_ATTRIBUTE_PREFIX + "transport").asText());
      // The JDK's Unix channels (the default) give the peer's user name, not pid/uid.
      assertEquals(
          System.getProperty("user.name"),
          tags.path(SpanBatch.PEER_ATTRIBUTE_PREFIX + "user").asText(),
          "peer user tag on " + span);
      assertEquals(
          socket.toString(), tags.path(SpanBatch.PEER_ATTRIBUTE_PREFIX + "socket_path").asText());
      assertEquals("zipkin-test", tags.path("otel.scope.name").asText());
    }
  }
}
