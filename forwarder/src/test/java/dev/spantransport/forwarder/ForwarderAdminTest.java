package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * {@code --admin-listen}: {@code /metrics}, {@code /healthz} and {@code /readyz} scraped over
 * loopback from the forwarder running in-process.
 */
class ForwarderAdminTest {

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(InetSocketAddress admin, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void writeKataFrame(SocketChannel channel, long spanId) throws Exception {
    String json =
        "{\"span_context\":{\"trace_id\":4660,\"span_id\":"
            + spanId
            + ",\"trace_flags\":1,\"is_remote\":false,\"trace_state\":null},"
            + "\"parent_span_id\":0,\"span_kind\":\"Internal\",\"name\":\"rpc\","
            + "\"start_time\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":0},"
            + "\"end_time\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":2500000},"
            + "\"attributes\":{\"map\":{},\"evict_list\":[],\"max_len\":128,\"dropped_count\":0},"
            + "\"events\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
            + "\"links\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
            + "\"status_code\":\"Unset\",\"status_message\":\"\",\"resource\":null}";
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer frame = ByteBuffer.allocate(8 + body.length);
    frame.putLong(body.length).put(body).flip();
    while (frame.hasRemaining()) {
      channel.write(frame);
    }
  }

  @Test
  void servesPrometheusMetricsOfReceiverAndSinksAndIsHealthyAndReadyWhileListening()
      throws Exception {
    Path socket = dir.resolve("admin.sock");
    InProcessForwarder forwarder =
        InProcessForwarder.start(
            "--dump-only", "--listen", "unix:" + socket, "--admin-listen", "127.0.0.1:0");
    InetSocketAddress admin = forwarder.forwarder().adminAddress();
    Endpoint endpoint = Endpoint.parse("unix:" + socket);
    try (SocketChannel kata =
        SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(kata, 1);
      writeKataFrame(kata, 2);
      writeKataFrame(kata, 3);
      forwarder.awaitAccepted(3);

      HttpResponse<String> metrics = get(admin, "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(
          metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
          metrics.headers().toString());
      String text = metrics.body();
      assertTrue(text.contains("spantransport_forwarder_spans_received_total 3.0\n"), text);
      assertTrue(text.contains("spantransport_forwarder_spans_kata_total 3.0\n"), text);
      assertTrue(text.contains("spantransport_forwarder_spans_accepted_total 3.0\n"), text);
      assertTrue(text.contains("spantransport_forwarder_spans_dropped_total 0.0\n"), text);
      assertTrue(text.contains("spantransport_forwarder_sink_failing_seconds 0.0\n"), text);
      // The receiver's own instruments, per guest (one connection open now).
      assertTrue(
          text.contains(
              "spantransport_receiver_connections{spantransport_peer_socket_path=\""
                  + socket
                  + "\",spantransport_peer_transport=\"unix\"} 1.0\n"),
          text);
      assertTrue(text.contains("# TYPE spantransport_receiver_sink_duration_seconds histogram"));
      List<String> samples =
          text.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList());
      assertTrue(!samples.isEmpty());
      for (String sample : samples) {
        assertTrue(sample.startsWith("spantransport_"), "not prefixed: " + sample);
      }

      HttpResponse<String> health = get(admin, "/healthz");
      assertEquals(200, health.statusCode(), health.body());
      assertEquals("ok\n", health.body());
      HttpResponse<String> ready = get(admin, "/readyz");
      assertEquals(200, ready.statusCode(), ready.body());
      assertEquals("ready\n", ready.body());
    }
    assertEquals(0, forwarder.stop());
    assertThrows(IOException.class, () -> get(admin, "/readyz"), "admin closed with the forwarder");
  }

  @Test
  void healthzAnswers503OnceTheSinksFailLongerThanTheThresholdWhileReadyzStays200()
      throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort(); // closed again: the collector refuses every connection
    }
    Path socket = dir.resolve("admin-failing.sock");
    InProcessForwarder forwarder =
        InProcessForwarder.start(
            "--otlp-endpoint",
            "http://127.0.0.1:" + closedPort + "/v1/traces",
            "--skip-collector-check",
            "--unhealthy-after",
            "1",
            "--listen",
            "unix:" + socket,
            "--admin-listen",
            "127.0.0.1:0");
    InetSocketAddress admin = forwarder.forwarder().adminAddress();
    assertEquals(200, get(admin, "/healthz").statusCode(), "healthy before any batch failed");
    Endpoint endpoint = Endpoint.parse("unix:" + socket);
    try (SocketChannel kata =
        SpanTransports.forEndpoint(endpoint).connect(endpoint, Duration.ofSeconds(5))) {
      writeKataFrame(kata, 1);
      HttpResponse<String> health = get(admin, "/healthz");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (health.statusCode() == 200 && System.nanoTime() < deadline) {
        Thread.sleep(100); // polling with a deadline; the assertion is on the status
        health = get(admin, "/healthz");
      }
      assertEquals(503, health.statusCode(), health.body());
      assertTrue(health.body().startsWith("sinks failing for "), health.body());
      assertTrue(health.body().contains("(threshold 1 s)"), health.body());
      assertEquals(200, get(admin, "/readyz").statusCode(), "still listening, so ready");
      String metrics = get(admin, "/metrics").body();
      assertTrue(metrics.contains("spantransport_forwarder_spans_dropped_total 1.0\n"), metrics);
    }
    assertEquals(0, forwarder.stop());
  }
}
