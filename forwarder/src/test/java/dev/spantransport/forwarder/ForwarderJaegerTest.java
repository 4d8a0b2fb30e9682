package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.forwarder.internal.UdpJaegerAgent;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransports;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.jaegertracing.thriftjava.Batch;
import io.jaegertracing.thriftjava.Tag;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder in-process with Kata's Jaeger flags: a Kata agent stream and a span-transport guest
 * arrive on one Unix socket, and a UDP Jaeger agent on loopback decodes every datagram through the
 * generated {@code Agent} classes; every span carries its guest identity as process tags.
 */
class ForwarderJaegerTest {

  @TempDir Path dir;

  private static String kataSpan(long spanId, long parentId, String name) {
    return "{\"span_context\":{\"trace_id\":4660,\"span_id\":"
        + spanId
        + ",\"trace_flags\":1,\"is_remote\":false,\"trace_state\":null},"
        + "\"parent_span_id\":"
        + parentId
        + ",\"span_kind\":\"Internal\",\"name\":\""
        + name
        + "\",\"start_time\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":0},"
        + "\"end_time\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":2500000},"
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
  void kataAndSpanTransportSpansReachAJaegerAgentWithTheirGuestIdentity() throws Exception {
    Path socket = dir.resolve("jaeger-forwarder.sock");
    Endpoint endpoint = Endpoint.parse("unix:" + socket);
    try (UdpJaegerAgent agent = new UdpJaegerAgent()) {
      InProcessForwarder forwarder =
          InProcessForwarder.start(
              "--jaeger-host",
              "127.0.0.1",
              "--jaeger-port=" + agent.port(),
              "--trace-name",
              "vm-agent",
              "--listen",
              "unix:" + socket);

      try (SocketChannel kata =
          SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
        writeKataFrame(kata, kataSpan(2, 1, "CreateContainer"));
        writeKataFrame(kata, kataSpan(1, 0, "rpc"));
        forwarder.awaitAccepted(2);
      }

      VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint(endpoint).build();
      SdkTracerProvider provider =
          SdkTracerProvider.builder()
              .setResource(Resource.empty().toBuilder().put("service.name", "app").build())
              .addSpanProcessor(SimpleSpanProcessor.create(exporter))
              .build();
      Tracer tracer = provider.get("test");
      Span root = tracer.spanBuilder("GET /orders").startSpan();
      try (Scope ignored = root.makeCurrent()) {
        tracer.spanBuilder("SELECT orders").startSpan().end();
      } finally {
        root.end();
      }
      assertTrue(provider.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "guest spans acked");
      forwarder.awaitAccepted(4);

      List<Batch> batches = agent.awaitSpans(4, 20_000);
      assertEquals(0, forwarder.stop(), forwarder.err());

      Map<String, String> serviceBySpan = new TreeMap<>();
      for (Batch batch : batches) {
        Map<String, Tag> process =
            batch.getProcess().getTags().stream().collect(Collectors.toMap(Tag::getKey, t -> t));
        // The guest identity the receiver took from the socket, on every batch.
        assertEquals("unix", process.get("spantransport.peer.transport").getVStr(), process + "");
        assertEquals(
            socket.toString(),
            process.get("spantransport.peer.socket_path").getVStr(),
            process + "");
        batch
            .getSpans()
            .forEach(
                s -> serviceBySpan.put(s.getOperationName(), batch.getProcess().getServiceName()));
      }
      assertEquals(
          Map.of(
              "CreateContainer", "vm-agent",
              "rpc", "vm-agent",
              "GET /orders", "app",
              "SELECT orders", "app"),
          serviceBySpan);
      assertTrue(forwarder.err().contains("jaeger=127.0.0.1:" + agent.port()), forwarder.err());
    }
  }
}
