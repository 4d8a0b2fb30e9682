package dev.spantransport.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OtlpHttpSinkTest {

  /** One request the collector stub received. */
  record Received(String method, String path, String contentType, String apiKey, byte[] body) {}

  private HttpServer server;
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private final BlockingQueue<Integer> statuses = new LinkedBlockingQueue<>();
  private volatile CountDownLatch gate;
  private OtlpHttpSink sink;

  @BeforeEach
  void startCollector() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
  }

  @AfterEach
  void stopCollector() {
    if (gate != null) {
      gate.countDown();
    }
    if (sink != null) {
      sink.shutdown().join(10, TimeUnit.SECONDS);
    }
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    received.add(
        new Received(
            exchange.getRequestMethod(),
            exchange.getRequestURI().getPath(),
            exchange.getRequestHeaders().getFirst("Content-Type"),
            exchange.getRequestHeaders().getFirst("X-Api-Key"),
            body));
    CountDownLatch g = gate;
    if (g != null) {
      try {
        g.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Integer status = statuses.poll();
    exchange.sendResponseHeaders(status == null ? 200 : status, -1);
    exchange.close();
  }

  private OtlpHttpSinkBuilder builder() {
    return OtlpHttpSink.builder()
        .setEndpoint("http://127.0.0.1:" + server.getAddress().getPort())
        .setBackoff(Duration.ofMillis(1), Duration.ofMillis(5), 2.0)
        .setTimeout(Duration.ofSeconds(10));
  }

  private static SpanBatch spoofingBatch() {
    return Payloads.batch(Payloads.spoofingRequest(2).toByteArray(), 2);
  }

  @Test
  void postsTheRewrittenPayloadToV1Traces() throws Exception {
    sink = builder().addHeader("X-Api-Key", "secret").build();

    CompletableResultCode result = sink.accept(spoofingBatch());

    assertTrue(result.join(10, TimeUnit.SECONDS).isSuccess());
    Received r = received.poll(10, TimeUnit.SECONDS);
    assertEquals("POST", r.method());
    assertEquals("/v1/traces", r.path());
    assertEquals("application/x-protobuf", r.contentType());
    assertEquals("secret", r.apiKey());
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(r.body());
    assertEquals(2, request.getResourceSpans(0).getScopeSpans(0).getSpansCount());
    Map<String, AnyValue> resource = Payloads.resourceAttributes(request);
    assertEquals(42, resource.get("spantransport.peer.cid").getIntValue(), "real CID, not 666");
    assertEquals("vsock", resource.get("spantransport.peer.transport").getStringValue());
    assertFalse(resource.containsKey("spantransport.peer.socket_path"), "payload claim removed");
    assertEquals("checkout", resource.get("service.name").getStringValue());
  }

  @Test
  void postsLogAndMetricBatchesToV1LogsAndV1MetricsWithTheGuestIdentityOnEveryResource()
      throws Exception {
    sink =
        builder()
            .setEndpoint("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces")
            .build();
    ExportLogsServiceRequest logs =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder()
                    .setResource(Payloads.spoofingRequest(1).getResourceSpans(0).getResource())
                    .addScopeLogs(
                        ScopeLogs.newBuilder()
                            .addLogRecords(LogRecord.newBuilder().setTimeUnixNano(1))))
            .build();
    byte[] logBytes = logs.toByteArray();
    assertTrue(
        sink.accept(
                LogBatch.of(
                    Payloads.PEER, Payloads.IDENTITY, "", 1, 1, logBytes, 0, logBytes.length))
            .join(10, TimeUnit.SECONDS)
            .isSuccess());
    Received r = received.poll(10, TimeUnit.SECONDS);
    assertEquals("/v1/logs", r.path());
    Resource resource =
        ExportLogsServiceRequest.parseFrom(r.body()).getResourceLogs(0).getResource();
    Map<String, AnyValue> attributes = new java.util.HashMap<>();
    resource.getAttributesList().forEach(kv -> attributes.put(kv.getKey(), kv.getValue()));
    assertEquals(42, attributes.get("spantransport.peer.cid").getIntValue(), "real CID, not 666");
    assertFalse(attributes.containsKey("spantransport.peer.socket_path"), "payload claim removed");
    assertEquals("checkout", attributes.get("service.name").getStringValue());

    ExportMetricsServiceRequest metrics =
        ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(
                ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder()))
            .build();
    byte[] metricBytes = metrics.toByteArray();
    assertTrue(
        sink.accept(
                MetricBatch.of(
                    Payloads.PEER, Payloads.IDENTITY, "", 2, 0, metricBytes, 0, metricBytes.length))
            .join(10, TimeUnit.SECONDS)
            .isSuccess());
    Received m = received.poll(10, TimeUnit.SECONDS);
    assertEquals("/v1/metrics", m.path());
    Resource added =
        ExportMetricsServiceRequest.parseFrom(m.body()).getResourceMetrics(0).getResource();
    assertEquals(Payloads.IDENTITY.size(), added.getAttributesCount(), "identity resource added");
  }

  @Test
  void refusesALogBatchThatIsNotALogsRequestForGood() throws Exception {
    sink = builder().build();
    // resource_logs { scope_logs { log_records { trace_id: 1 byte } } }
    byte[] bad = {0x0a, 0x07, 0x12, 0x05, 0x12, 0x03, 0x4a, 0x01, 0x00};
    CompletableResultCode result =
        sink.accept(LogBatch.of(Payloads.PEER, Payloads.IDENTITY, "", 1, 1, bad, 0, bad.length));
    assertTrue(result.join(10, TimeUnit.SECONDS).isDone());
    assertTrue(result.getFailureThrowable() instanceof BatchRejectedException);
    assertTrue(received.isEmpty());
  }

  @Test
  void retriesOn503ThenSucceeds() throws Exception {
    statuses.add(503);
    statuses.add(503);
    sink = builder().setMaxAttempts(5).build();

    CompletableResultCode result = sink.accept(spoofingBatch());

    assertTrue(result.join(10, TimeUnit.SECONDS).isSuccess());
    assertEquals(3, received.size(), "two 503s, then 200");
  }

  @Test
  void givesUpAfterMaxAttempts() throws Exception {
    for (int i = 0; i < 10; i++) {
      statuses.add(503);
    }
    sink = builder().setMaxAttempts(3).build();

    CompletableResultCode result = sink.accept(spoofingBatch());

    assertTrue(result.join(10, TimeUnit.SECONDS).isDone());
    assertFalse(result.isSuccess());
    assertEquals(3, received.size());
  }

  @Test
  void doesNotRetryAClientError() throws Exception {
    statuses.add(400);
    sink = builder().setMaxAttempts(5).build();

    CompletableResultCode result = sink.accept(spoofingBatch());

    assertFalse(result.join(10, TimeUnit.SECONDS).isSuccess());
    assertEquals(1, received.size());
  }

  @Test
  void retriesAConnectionError() throws Exception {
    int port = server.getAddress().getPort();
    server.stop(0);
    sink =
        OtlpHttpSink.builder()
            .setEndpoint("http://127.0.0.1:" + port)
            .setBackoff(Duration.ofMillis(1), Duration.ofMillis(5), 2.0)
            .setMaxAttempts(2)
            .build();

    CompletableResultCode result = sink.accept(spoofingBatch());

    assertFalse(result.join(10, TimeUnit.SECONDS).isSuccess());
    startCollector(); // for @AfterEach
  }

  @Test
  void failsFastWhenAllRequestSlotsAreBusy() throws Exception {
    gate = new CountDownLatch(1);
    sink = builder().setMaxConcurrentRequests(1).build();

    CompletableResultCode first = sink.accept(spoofingBatch());
    assertTrue(received.poll(10, TimeUnit.SECONDS) != null, "first request reached the collector");
    CompletableResultCode second = sink.accept(spoofingBatch());

    assertTrue(second.isDone(), "refused at once");
    assertFalse(second.isSuccess());
    gate.countDown();
    assertTrue(first.join(10, TimeUnit.SECONDS).isSuccess());
    assertTrue(sink.accept(spoofingBatch()).join(10, TimeUnit.SECONDS).isSuccess());
  }

  @Test
  void malformedPayloadFailsWithoutARequest() {
    sink = builder().build();

    CompletableResultCode result = sink.accept(Payloads.batch(new byte[] {0x0a, 0x7f}, 1));

    assertTrue(result.isDone());
    assertFalse(result.isSuccess());
    assertTrue(received.isEmpty());
    assertEquals(0, sink.inFlightRequests());
  }

  @Test
  void toStringHidesHeaderValues() {
    sink = builder().addHeader("Authorization", "Bearer hunter2").build();
    String text = sink.toString();
    assertTrue(text.contains("Authorization=OBFUSCATED"), text);
    assertFalse(text.contains("hunter2"), text);
    assertTrue(text.contains("/v1/traces"), text);
  }

  /**
   * Regression: on JDK 25 the future returned by {@code HttpClient.sendAsync} runs its dependent
   * actions only on {@code ForkJoinPool.commonPool()}, so a common pool blocked by anything else in
   * the JVM stalled every export. The sink now sends and schedules retries on threads of its own.
   * On JDK 17 this test passes with or without that fix; on JDK 25 it failed without it.
   */
  @Test
  void exportAndItsRetryCompleteWhileEveryCommonPoolWorkerIsBlocked() throws Exception {
    statuses.add(503);
    sink = builder().setMaxAttempts(3).build();
    int workers = ForkJoinPool.getCommonPoolParallelism();
    CountDownLatch blocked = new CountDownLatch(workers);
    CountDownLatch release = new CountDownLatch(1);
    try {
      for (int i = 0; i < workers; i++) {
        ForkJoinPool.commonPool()
            .execute(
                () -> {
                  blocked.countDown();
                  try {
                    release.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
      }
      assertTrue(blocked.await(10, TimeUnit.SECONDS), "every common-pool worker is blocked");

      CompletableResultCode result = sink.accept(spoofingBatch());

      assertTrue(result.join(10, TimeUnit.SECONDS).isSuccess(), "503, then 200");
      assertEquals(2, received.size());
    } finally {
      release.countDown();
    }
  }

  @Test
  void builderRejectsBadValuesStatingTheRule() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> OtlpHttpSink.builder().setMaxAttempts(0));
    assertEquals("maxAttempts must be between 1 and 100: 0", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> OtlpHttpSink.builder().setEndpoint("ftp://x"));
  }

  @Test
  void builderRejectsHeadersTheHttpClientWouldRefuseOnEveryBatch() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OtlpHttpSink.builder().addHeader("Host", "hunter2"));
    assertTrue(e.getMessage().endsWith(": Host"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> OtlpHttpSink.builder().addHeader("X-Api-Key", "a\r\nInjected: 1"));
  }
}
