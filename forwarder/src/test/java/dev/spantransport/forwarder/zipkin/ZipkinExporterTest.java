package dev.spantransport.forwarder.zipkin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.spantransport.sink.BatchRejectedException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ZipkinExporter} against a loopback HTTP server that keeps every POST. */
class ZipkinExporterTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";

  private HttpServer collector;
  private final AtomicInteger status = new AtomicInteger(202);
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();
  private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  private final List<ZipkinExporter> exporters = new ArrayList<>();

  @BeforeEach
  void startCollector() throws Exception {
    collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/api/v2/spans",
        exchange -> {
          contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
          bodies.add(exchange.getRequestBody().readAllBytes());
          int answer = status.get();
          if (answer / 100 == 2) {
            exchange.sendResponseHeaders(answer, -1);
          } else {
            byte[] why = "span limits exceeded".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer, why.length);
            exchange.getResponseBody().write(why);
          }
          exchange.close();
        });
    collector.start();
  }

  @AfterEach
  void stop() {
    for (ZipkinExporter exporter : exporters) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    collector.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + collector.getAddress().getPort() + "/api/v2/spans";
  }

  private ZipkinExporter exporter(ZipkinExporterBuilder builder) {
    ZipkinExporter exporter = builder.build();
    exporters.add(exporter);
    return exporter;
  }

  private ZipkinExporter exporter() {
    return exporter(ZipkinExporter.builder().setEndpoint(url()).setTimeout(Duration.ofSeconds(5)));
  }

  private static SpanData span(String spanId, SpanKind kind, StatusData status) {
    return TestSpanData.builder()
        .setSpanContext(
            SpanContext.create(TRACE, spanId, TraceFlags.getSampled(), TraceState.getDefault()))
        .setName("Op")
        .setKind(kind)
        .setStartEpochNanos(1_000_000_000L)
        .setEndEpochNanos(1_000_000_400L) // under a microsecond
        .setHasEnded(true)
        .setStatus(status)
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("host.name"), "vm")))
        .setAttributes(
            Attributes.of(
                AttributeKey.stringArrayKey("tags"),
                List.of("a", "b"),
                AttributeKey.stringKey("host.name"),
                "span wins"))
        .setTotalRecordedEvents(0)
        .setTotalRecordedLinks(0)
        .setTotalAttributeCount(2)
        .build();
  }

  private static SpanData span() {
    return span("b7ad6b7169203331", SpanKind.INTERNAL, StatusData.unset());
  }

  private JsonNode onlyPostedSpan() throws Exception {
    assertEquals(1, bodies.size(), "POSTs");
    JsonNode array = JSON.readTree(bodies.get(0));
    assertEquals(1, array.size(), array.toString());
    return array.get(0);
  }

  @Test
  void postsJsonV2AndSucceedsWhenTheCollectorAnswers2xx() throws Exception {
    CompletableResultCode r = exporter().export(List.of(span())).join(10, TimeUnit.SECONDS);
    assertTrue(r.isSuccess());
    assertTrue(contentTypes.get(0).startsWith("application/json"), contentTypes.toString());
    assertEquals(TRACE, onlyPostedSpan().get("traceId").asText());
  }

  @Test
  void aCollectorRefusingTheBatchWith400FailsItForGood() {
    status.set(400);
    CompletableResultCode r = exporter().export(List.of(span())).join(10, TimeUnit.SECONDS);
    assertTrue(r.isDone());
    assertFalse(r.isSuccess());
    BatchRejectedException e =
        assertInstanceOf(BatchRejectedException.class, r.getFailureThrowable());
    assertEquals("zipkin refused the batch: HTTP 400: span limits exceeded", e.getMessage());
  }

  @Test
  void serverErrorsTooManyRequestsAndRequestTimeoutsAreRetryable() {
    for (int answer : new int[] {500, 503, 429, 408}) {
      status.set(answer);
      CompletableResultCode r = exporter().export(List.of(span())).join(10, TimeUnit.SECONDS);
      assertTrue(r.isDone(), "HTTP " + answer);
      assertFalse(r.isSuccess(), "HTTP " + answer);
      assertFalse(
          r.getFailureThrowable() instanceof BatchRejectedException,
          "HTTP " + answer + " must be retryable: " + r.getFailureThrowable());
    }
  }

  @Test
  void anUnreachableCollectorIsRetryable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    ZipkinExporter exporter =
        exporter(
            ZipkinExporter.builder()
                .setEndpoint("http://127.0.0.1:" + closedPort + "/api/v2/spans")
                .setTimeout(Duration.ofSeconds(5)));
    CompletableResultCode r = exporter.export(List.of(span())).join(10, TimeUnit.SECONDS);
    assertTrue(r.isDone());
    assertFalse(r.isSuccess());
    assertFalse(r.getFailureThrowable() instanceof BatchRejectedException, "retryable");
  }

  @Test
  void aSpanZipkinCannotRepresentRejectsTheBatchForGoodWithoutPosting() {
    CompletableResultCode r =
        exporter()
            .export(List.of(span(), span("0000000000000000", SpanKind.CLIENT, StatusData.ok())));
    assertTrue(r.isDone());
    BatchRejectedException e =
        assertInstanceOf(BatchRejectedException.class, r.getFailureThrowable());
    assertTrue(e.getMessage().contains("is all zeros"), e.getMessage());
    assertTrue(bodies.isEmpty(), "nothing posted");
  }

  @Test
  void aBatchAboveTheMessageBoundIsPostedInPartsHoldingEverySpanOnce() throws Exception {
    ZipkinExporter exporter =
        exporter(
            ZipkinExporter.builder()
                .setEndpoint(url())
                .setTimeout(Duration.ofSeconds(5))
                .setMaxMessageBytes(1024));
    List<SpanData> batch = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      batch.add(span(String.format("%016x", i), SpanKind.SERVER, StatusData.unset()));
    }
    assertTrue(exporter.export(batch).join(10, TimeUnit.SECONDS).isSuccess());
    assertTrue(bodies.size() > 1, "posted in parts: " + bodies.size());
    Set<String> ids = new HashSet<>();
    for (byte[] body : bodies) {
      assertTrue(body.length <= 1024, "part of " + body.length + " bytes");
      for (JsonNode s : JSON.readTree(body)) {
        assertTrue(ids.add(s.get("id").asText()), "posted twice: " + s);
      }
    }
    assertEquals(40, ids.size());
  }

  /**
   * On JDK 25 the future of {@code HttpClient.sendAsync} runs its dependent actions only on {@code
   * ForkJoinPool.commonPool()}, so a common pool blocked by anything else in the JVM would stall
   * every export; the exporter posts on threads of its own.
   */
  @Test
  void exportCompletesWhileEveryCommonPoolWorkerIsBlocked() throws Exception {
    ZipkinExporter exporter = exporter();
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
      assertTrue(exporter.export(List.of(span())).join(10, TimeUnit.SECONDS).isSuccess());
    } finally {
      release.countDown();
    }
  }

  @Test
  void refusesExportsAfterShutdown() {
    ZipkinExporter exporter = exporter();
    assertTrue(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    assertFalse(exporter.export(List.of(span())).isSuccess());
    assertTrue(exporter.shutdown().isSuccess(), "a second shutdown succeeds");
  }

  @Test
  void mapsDurationAtLeastOneMicroArraysJoinedAndSpanAttributesOverResource() throws Exception {
    assertTrue(
        exporter()
            .export(List.of(span("b7ad6b7169203331", SpanKind.PRODUCER, StatusData.error())))
            .join(10, TimeUnit.SECONDS)
            .isSuccess());
    JsonNode span = onlyPostedSpan();
    assertEquals(1, span.get("duration").asLong());
    assertEquals(1_000_000L, span.get("timestamp").asLong());
    assertEquals("PRODUCER", span.get("kind").asText());
    assertEquals("op", span.get("name").asText(), "Zipkin's model lowercases names");
    assertEquals("a,b", span.get("tags").get("tags").asText());
    assertEquals("span wins", span.get("tags").get("host.name").asText());
    assertEquals("true", span.get("tags").get("error").asText(), "error without description");
    assertFalse(span.has("localEndpoint"), "no service.name, no localEndpoint");
  }

  @Test
  void guestIdentityTagsWinOverSpanAttributesClaimingThem() throws Exception {
    AttributeKey<String> path = AttributeKey.stringKey("spantransport.peer.socket_path");
    AttributeKey<String> user = AttributeKey.stringKey("spantransport.peer.user");
    SpanData forged =
        TestSpanData.builder()
            .setSpanContext(
                SpanContext.create(
                    TRACE, "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault()))
            .setName("op")
            .setKind(SpanKind.INTERNAL)
            .setStartEpochNanos(1_000_000_000L)
            .setEndEpochNanos(2_000_000_000L)
            .setHasEnded(true)
            .setStatus(StatusData.unset())
            .setResource(Resource.create(Attributes.of(path, "/run/vm.sock_10240")))
            .setAttributes(Attributes.of(path, "/forged/path", user, "root"))
            .build();
    assertTrue(exporter().export(List.of(forged)).join(10, TimeUnit.SECONDS).isSuccess());
    JsonNode tags = onlyPostedSpan().get("tags");
    assertEquals("/run/vm.sock_10240", tags.get(path.getKey()).asText());
    assertFalse(tags.has(user.getKey()), "a span attribute under the reserved prefix: " + tags);
  }

  @Test
  void builderRejectsBadValuesNamingThem() {
    ZipkinExporterBuilder b = ZipkinExporter.builder();
    assertEquals(
        "endpoint must start with http:// or https://: ftp://z/api/v2/spans",
        assertThrows(IllegalArgumentException.class, () -> b.setEndpoint("ftp://z/api/v2/spans"))
            .getMessage());
    assertEquals(
        "timeout must be positive: PT0S",
        assertThrows(IllegalArgumentException.class, () -> b.setTimeout(Duration.ZERO))
            .getMessage());
    assertEquals(
        "maxConcurrentRequests must be at least 1: 0",
        assertThrows(IllegalArgumentException.class, () -> b.setMaxConcurrentRequests(0))
            .getMessage());
    assertEquals(
        "maxMessageBytes must be at least 1024: 10",
        assertThrows(IllegalArgumentException.class, () -> b.setMaxMessageBytes(10)).getMessage());
  }

  @Test
  void toStringShowsTheConfiguration() {
    assertEquals(
        "ZipkinExporter{endpoint="
            + url()
            + ", timeout=PT5S, maxConcurrentRequests=4, maxMessageBytes=524288}",
        exporter().toString());
  }
}
