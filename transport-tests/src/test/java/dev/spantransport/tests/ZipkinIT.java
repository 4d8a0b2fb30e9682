package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.tests.adversity.ForwarderProcess;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Zipkin server (the {@code io.zipkin:zipkin-server} exec jar, in-memory storage) as the
 * collector of the real forwarder ({@code --zipkin-endpoint}, in a JVM of its own). A guest SDK
 * with a {@link BatchSpanProcessor} sends a multi-level trace through a {@link VsockSpanExporter}
 * over a Unix socket; Zipkin's query API must return every span, every parent link and the guest
 * identity.
 *
 * <p>The forwarder has its own Zipkin exporter because OpenTelemetry's {@link ZipkinSpanExporter}
 * cannot be used with the 1.68 SDK: its 1.59 constructor reads {@code
 * StandardComponentId.ExporterType.ZIPKIN_HTTP_JSON_SPAN_EXPORTER}, which sdk-common 1.68 no longer
 * has ({@code NoSuchFieldError}); no newer exporter-zipkin is served. {@link
 * #zipkinExporterOf159IsIncompatibleWithSdk168} keeps that fact checked.
 */
class ZipkinIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BOUND_SECONDS = 120;

  @TempDir static Path dir;

  private static Process zipkin;
  private static int port;
  private static Path log;

  @BeforeAll
  static void startZipkin() throws Exception {
    port = Peers.freePort();
    log = dir.resolve("zipkin.log");
    List<String> command = Peers.javaCommand();
    command.addAll(
        List.of(
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-jar",
            Peers.jar("zipkin-server.jar").toString(),
            "--server.address=127.0.0.1"));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("STORAGE_TYPE", "mem");
    env.put("QUERY_PORT", Integer.toString(port));
    env.put("SELF_TRACING_ENABLED", "false");
    env.put("COLLECTOR_SCRIBE_ENABLED", "false");
    env.put("COLLECTOR_GRPC_ENABLED", "false");
    env.put("COLLECTOR_ACTIVEMQ_ENABLED", "false");
    env.put("COLLECTOR_KAFKA_ENABLED", "false");
    env.put("COLLECTOR_RABBITMQ_ENABLED", "false");
    zipkin = builder.start();

    URI health = URI.create("http://127.0.0.1:" + port + "/health");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
    while (true) {
      HttpResponse<String> response = Peers.get(health);
      if (response != null && response.statusCode() == 200) {
        return;
      }
      if (!zipkin.isAlive()) {
        fail("zipkin-server exited with " + zipkin.exitValue() + ":\n" + Peers.tail(log));
      }
      if (System.nanoTime() > deadline) {
        fail("zipkin-server not healthy within " + BOUND_SECONDS + " s:\n" + Peers.tail(log));
      }
      Thread.sleep(200); // polling interval, not an assertion
    }
  }

  @AfterAll
  static void stopZipkin() throws Exception {
    Peers.stop(zipkin);
  }

  @Test
  void forwarderSendsEveryGuestSpanToZipkinWithParentLinksAndGuestIdentity() throws Exception {
    Path socket = dir.resolve("zipkin-guest.sock");
    Map<String, String> parentOf = new HashMap<>();
    String traceId;
    try (ForwarderProcess forwarder =
        ForwarderProcess.start(
            dir,
            List.of(
                "--zipkin-endpoint",
                "http://127.0.0.1:" + port + "/api/v2/spans",
                "--listen",
                "unix:" + socket),
            Duration.ofSeconds(BOUND_SECONDS))) {
      VsockSpanExporter guestExporter =
          VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
      SdkTracerProvider guest =
          SdkTracerProvider.builder()
              .setResource(
                  Resource.getDefault()
                      .merge(Resource.builder().put("service.name", "guest-app").build()))
              .addSpanProcessor(
                  BatchSpanProcessor.builder(guestExporter).setMaxExportBatchSize(7).build())
              .build();
      try {
        traceId = makeTrace(guest.get("zipkin-it"), parentOf);
        assertTrue(guest.forceFlush().join(20, TimeUnit.SECONDS).isSuccess(), "guest flush");
        assertTrue(guestExporter.flush().join(20, TimeUnit.SECONDS).isSuccess(), "all acked");
      } finally {
        assertTrue(guest.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "guest shutdown");
      }
      assertEquals(0, forwarder.stop(Duration.ofSeconds(30)), "forwarder exit code");
    }

    JsonNode trace = awaitTrace(traceId, parentOf.size());
    Map<String, JsonNode> byId = new HashMap<>();
    for (JsonNode span : trace) {
      byId.put(span.get("id").asText(), span);
    }
    assertEquals(parentOf.keySet(), byId.keySet(), "span ids in zipkin");
    for (Map.Entry<String, String> expected : parentOf.entrySet()) {
      JsonNode span = byId.get(expected.getKey());
      String parent = span.hasNonNull("parentId") ? span.get("parentId").asText() : null;
      assertEquals(expected.getValue(), parent, "parent of " + expected.getKey());
      assertEquals("guest-app", span.get("localEndpoint").get("serviceName").asText());
      JsonNode tags = span.get("tags");
      assertNotNull(tags, "tags of " + span);
      assertEquals("unix", tags.path(SpanBatch.PEER_ATTRIBUTE_PREFIX + "transport").asText());
      // The forwarder runs as an operator starts it: the JDK's Unix channels, which give the
      // peer's user name.
      assertEquals(
          System.getProperty("user.name"),
          tags.path(SpanBatch.PEER_ATTRIBUTE_PREFIX + "user").asText(),
          "peer user tag");
      assertEquals(
          socket.toString(), tags.path(SpanBatch.PEER_ATTRIBUTE_PREFIX + "socket_path").asText());
      assertTrue(tags.has("level"), "span attribute tag on " + span);
    }
  }

  @Test
  void zipkinExporterOf159IsIncompatibleWithSdk168() {
    // If this starts failing, OpenTelemetry's own Zipkin exporter works again: use it as the sink.
    assertThrows(NoSuchFieldError.class, () -> ZipkinSpanExporter.builder().build());
  }

  /** Root → 3 children → 2 grandchildren each, plus a client span under each grandchild. */
  private static String makeTrace(Tracer tracer, Map<String, String> parentOf) {
    Span root = tracer.spanBuilder("root").setAttribute("level", 0L).startSpan();
    parentOf.put(root.getSpanContext().getSpanId(), null);
    for (int c = 0; c < 3; c++) {
      Span child =
          tracer
              .spanBuilder("child-" + c)
              .setParent(Context.root().with(root))
              .setAttribute("level", 1L)
              .startSpan();
      parentOf.put(child.getSpanContext().getSpanId(), root.getSpanContext().getSpanId());
      for (int g = 0; g < 2; g++) {
        Span grandchild =
            tracer
                .spanBuilder("grandchild-" + c + "-" + g)
                .setParent(Context.root().with(child))
                .setAttribute("level", 2L)
                .startSpan();
        grandchild.addEvent("work", Attributes.of(AttributeKey.longKey("n"), (long) g));
        Span call =
            tracer
                .spanBuilder("call-" + c + "-" + g)
                .setSpanKind(SpanKind.CLIENT)
                .setParent(Context.root().with(grandchild))
                .setAttribute("level", 3L)
                .startSpan();
        parentOf.put(grandchild.getSpanContext().getSpanId(), child.getSpanContext().getSpanId());
        parentOf.put(call.getSpanContext().getSpanId(), grandchild.getSpanContext().getSpanId());
        call.end();
        grandchild.end();
      }
      child.end();
    }
    root.end();
    return root.getSpanContext().getTraceId();
  }

  /** Polls the query API until the trace holds {@code spans} spans (Zipkin stores async). */
  private static JsonNode awaitTrace(String traceId, int spans) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + "/api/v2/trace/" + traceId);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = "(nothing)";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = Peers.get(uri);
      if (response != null && response.statusCode() == 200) {
        JsonNode trace = JSON.readTree(response.body());
        if (trace.size() >= spans) {
          return trace;
        }
        last = trace.size() + " spans";
      } else if (response != null) {
        last = "HTTP " + response.statusCode();
      }
      Thread.sleep(100); // polling interval, not an assertion
    }
    fail("trace " + traceId + " did not reach " + spans + " spans in zipkin; last: " + last);
    return null;
  }
}
