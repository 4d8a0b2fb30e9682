package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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

  @Test
  void servesKataFramesAndSpanTransportGuestsOnOnePortAndPrintsTrees() throws Exception {
    Path socket = dir.resolve("forwarder.sock");
    InProcessForwarder forwarder =
        InProcessForwarder.start(
            "--dump-only", "--listen", "unix:" + socket, "--trace-name", "vm-agent");
    Endpoint endpoint = Endpoint.parse("unix:" + socket);

    // (a) A Kata agent: legacy frames, child first as the agent sends them when spans end.
    try (SocketChannel kata =
        SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(kata, kataSpan(2, 1, "CreateContainer", 1_700_000_000L));
      writeKataFrame(kata, kataSpan(1, 0, "rpc", 1_700_000_000L));
      forwarder.awaitAccepted(2);
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
    forwarder.awaitAccepted(4);

    assertEquals(0, forwarder.stop());
    String text = forwarder.out();
    assertTrue(text.contains("· service vm-agent\n"), text);
    assertTrue(
        text.contains(
            "└─ rpc (2.5 ms) container_id=c1\n   └─ CreateContainer (2.5 ms) container_id=c1\n"),
        text);
    assertTrue(text.contains("· service app\n"), text);
    assertTrue(text.contains("└─ GET /orders ("), text);
    assertTrue(text.contains("   └─ SELECT orders ("), text);
    assertTrue(forwarder.err().contains("spans received=4 (kata 2) accepted=4"), forwarder.err());
  }

  @Test
  void malformedKataFrameClosesOnlyThatConnection() throws Exception {
    Path socket = dir.resolve("f2.sock");
    InProcessForwarder forwarder =
        InProcessForwarder.start("--dump-only", "--listen", "unix:" + socket);
    Endpoint endpoint = Endpoint.parse("unix:" + socket);
    try (SocketChannel good =
            SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5));
        SocketChannel bad =
            SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(bad, "{\"not\":\"a span\"}");
      ByteBuffer one = ByteBuffer.allocate(1);
      assertEquals(-1, bad.read(one), "the malformed connection is closed");
      writeKataFrame(good, kataSpan(7, 0, "still served", 1_700_000_000L));
      forwarder.awaitAccepted(1);
    }
    assertEquals(0, forwarder.stop());
    assertTrue(forwarder.out().contains("still served"));
  }

  @Test
  void logFormatJsonWritesEveryStderrLineAsAJsonObjectWithKatasFields() throws Exception {
    Path socket = dir.resolve("json-log.sock");
    InProcessForwarder forwarder =
        InProcessForwarder.start(
            "--dump-only", "--listen", "unix:" + socket, "--log-format=json", "-ldebug");
    Endpoint endpoint = Endpoint.parse("unix:" + socket);
    try (SocketChannel kata =
        SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(kata, kataSpan(1, 0, "rpc\\u001b[2J", 1_700_000_000L));
      forwarder.awaitAccepted(1);
    }
    assertEquals(0, forwarder.stop());
    ObjectMapper json = new ObjectMapper();
    List<String> lines = forwarder.err().lines().collect(Collectors.toList());
    assertTrue(lines.size() >= 3, forwarder.err());
    for (String line : lines) {
      JsonNode node = json.readTree(line);
      for (String field : new String[] {"ts", "level", "msg", "source", "name", "pid"}) {
        assertTrue(node.hasNonNull(field), field + " missing in " + line);
      }
    }
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("\"msg\":\"listening on [unix:" + socket + "]\"")),
        forwarder.err());
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("spans received=1 (kata 1)")), forwarder.err());
  }
}
