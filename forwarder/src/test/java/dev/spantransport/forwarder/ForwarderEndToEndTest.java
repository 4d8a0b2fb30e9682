package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransports;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder in-process with --dump-only, fed by a Kata agent stream and a span-transport guest.
 */
class ForwarderEndToEndTest {

  @TempDir Path dir;

  /** One Kata agent span in the serde_json shape (see KataSpanDecoder), ids as JSON integers. */
  private static String kataSpan(long spanId, long parentId, String name, long startSec) {
    return "{\"span_context\":{\"trace_id\":4660,\"span_id\":"
        + spanId
        + ",\"trace_flags\":1,\"is_remote\":false,\"trace_state\":null},"
        + "\"parent_span_id\":"
        + parentId
        + ",\"span_kind\":\"Internal\",\"name\":\""
        + name
        + "\",\"start_time\":{\"secs_since_epoch\":"
        + startSec
        + ",\"nanos_since_epoch\":0},"
        + "\"end_time\":{\"secs_since_epoch\":"
        + startSec
        + ",\"nanos_since_epoch\":2500000},"
        + "\"attributes\":{\"map\":{\"container_id\":{\"String\":\"c1\"}},\"evict_list\":[],"
        + "\"max_len\":128,\"dropped_count\":0},"
        + "\"events\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
        + "\"links\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
        + "\"status_code\":\"Unset\",\"status_message\":\"\",\"resource\":null}";
  }

  private static void writeKataFrame(SocketChannel channel, String json) throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer frame = ByteBuffer.allocate(8 + body.length);
    frame.putLong(body.length).put(body).flip();
    while (frame.hasRemaining()) {
      channel.write(frame);
    }
  }

  private static void awaitAccepted(Forwarder f, long spans) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (f.spansAccepted() < spans && System.nanoTime() < deadline) {
      Thread.sleep(20); // polling a counter with a deadline; the assertion is on the count
    }
    assertEquals(spans, f.spansAccepted(), f.summary());
  }

  @Test
  void servesKataFramesAndSpanTransportGuestsOnOnePortAndPrintsTrees() throws Exception {
    Path socket = dir.resolve("forwarder.sock");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Forwarder> started = new CompletableFuture<>();
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                Forwarder.run(
                    new String[] {
                      "--dump-only", "--listen", "unix:" + socket, "--trace-name", "vm-agent"
                    },
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    started::complete));
    Forwarder forwarder;
    try {
      forwarder = started.get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("forwarder did not start: " + err, e);
    }
    Endpoint endpoint = Endpoint.parse("unix:" + socket);

    // (a) A Kata agent: legacy frames, child first as the agent sends them when spans end.
    try (SocketChannel kata =
        SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(kata, kataSpan(2, 1, "CreateContainer", 1_700_000_000L));
      writeKataFrame(kata, kataSpan(1, 0, "rpc", 1_700_000_000L));
      awaitAccepted(forwarder, 2);
    }

    // (b) A span-transport guest: OTel SDK + VsockSpanExporter.
    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint(endpoint).build();
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(Resource.getDefault().toBuilder().put("service.name", "app").build())
            .addSpanProcessor(SimpleSpanProcessor.create(exporter))
            .build();
    Tracer tracer = provider.get("test");
    Span root = tracer.spanBuilder("GET /orders").startSpan();
    try (Scope ignored = root.makeCurrent()) {
      tracer.spanBuilder("SELECT orders").startSpan().end();
    } finally {
      root.end();
    }
    CompletableResultCode shut = provider.shutdown().join(20, TimeUnit.SECONDS);
    assertTrue(shut.isSuccess(), "guest spans acknowledged");
    awaitAccepted(forwarder, 4);

    forwarder.close();
    assertEquals(0, exit.get(20, TimeUnit.SECONDS));
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("· service vm-agent\n"), text);
    assertTrue(
        text.contains(
            "└─ rpc (2.5 ms) container_id=c1\n   └─ CreateContainer (2.5 ms) container_id=c1\n"),
        text);
    assertTrue(text.contains("· service app\n"), text);
    assertTrue(text.contains("└─ GET /orders ("), text);
    assertTrue(text.contains("   └─ SELECT orders ("), text);
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("spans received=4 (kata 2) accepted=4"),
        err.toString());
  }

  @Test
  void malformedKataFrameClosesOnlyThatConnection() throws Exception {
    Path socket = dir.resolve("f2.sock");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Forwarder> started = new CompletableFuture<>();
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                Forwarder.run(
                    new String[] {"--dump-only", "--listen", "unix:" + socket},
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    started::complete));
    Forwarder forwarder = started.get(20, TimeUnit.SECONDS);
    Endpoint endpoint = Endpoint.parse("unix:" + socket);
    try (SocketChannel good =
            SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5));
        SocketChannel bad =
            SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(bad, "{\"not\":\"a span\"}");
      ByteBuffer one = ByteBuffer.allocate(1);
      assertEquals(-1, bad.read(one), "the malformed connection is closed");
      writeKataFrame(good, kataSpan(7, 0, "still served", 1_700_000_000L));
      awaitAccepted(forwarder, 1);
    }
    forwarder.close();
    assertEquals(0, exit.get(20, TimeUnit.SECONDS));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("still served"));
  }
}
