package dev.spantransport.forwarder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ZipkinJsonExporterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpServer collector;
  private final AtomicInteger status = new AtomicInteger(202);

  @BeforeEach
  void startCollector() throws Exception {
    collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/api/v2/spans",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(status.get(), -1);
          exchange.close();
        });
    collector.start();
  }

  @AfterEach
  void stopCollector() {
    collector.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + collector.getAddress().getPort() + "/api/v2/spans";
  }

  private static SpanData span(SpanKind kind, StatusData status) {
    return TestSpanData.builder()
        .setSpanContext(
            SpanContext.create(
                "0af7651916cd43dd8448eb211c80319c",
                "b7ad6b7169203331",
                TraceFlags.getSampled(),
                TraceState.getDefault()))
        .setName("op")
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

  @Test
  void succeedsWhenTheCollectorAnswers2xx() {
    ZipkinJsonExporter exporter = ZipkinJsonExporter.create(url(), Duration.ofSeconds(5));
    CompletableResultCode r =
        exporter
            .export(List.of(span(SpanKind.INTERNAL, StatusData.unset())))
            .join(10, TimeUnit.SECONDS);
    assertTrue(r.isSuccess());
    assertTrue(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
  }

  @Test
  void failsTheExportWhenTheCollectorRefuses() {
    status.set(500);
    ZipkinJsonExporter exporter = ZipkinJsonExporter.create(url(), Duration.ofSeconds(5));
    CompletableResultCode r =
        exporter
            .export(List.of(span(SpanKind.INTERNAL, StatusData.unset())))
            .join(10, TimeUnit.SECONDS);
    assertTrue(r.isDone());
    assertFalse(r.isSuccess());
  }

  /**
   * Regression: on JDK 25 the future returned by {@code HttpClient.sendAsync} runs its dependent
   * actions only on {@code ForkJoinPool.commonPool()}, so a common pool blocked by anything else in
   * the JVM stalled every export. The exporter now sends on threads of its own. On JDK 17 this test
   * passes with or without that fix; on JDK 25 it failed without it.
   */
  @Test
  void exportCompletesWhileEveryCommonPoolWorkerIsBlocked() throws Exception {
    ZipkinJsonExporter exporter = ZipkinJsonExporter.create(url(), Duration.ofSeconds(5));
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

      CompletableResultCode r =
          exporter
              .export(List.of(span(SpanKind.INTERNAL, StatusData.unset())))
              .join(10, TimeUnit.SECONDS);

      assertTrue(r.isSuccess());
      assertTrue(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    } finally {
      release.countDown();
    }
  }

  @Test
  void refusesExportsAfterShutdown() {
    ZipkinJsonExporter exporter = ZipkinJsonExporter.create(url(), Duration.ofSeconds(5));
    assertTrue(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    assertFalse(exporter.export(List.of(span(SpanKind.CLIENT, StatusData.ok()))).isSuccess());
    assertTrue(exporter.shutdown().isSuccess(), "a second shutdown succeeds");
  }

  @Test
  void encodesDurationAtLeastOneMicroArraysJoinedAndSpanAttributesOverResource() throws Exception {
    JsonNode span =
        JSON.readTree(
                ZipkinJsonExporter.encode(List.of(span(SpanKind.PRODUCER, StatusData.error()))))
            .get(0);
    assertEquals(1, span.get("duration").asLong());
    assertEquals(1_000_000L, span.get("timestamp").asLong());
    assertEquals("PRODUCER", span.get("kind").asText());
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
                    "0af7651916cd43dd8448eb211c80319c",
                    "b7ad6b7169203331",
                    TraceFlags.getSampled(),
                    TraceState.getDefault()))
            .setName("op")
            .setKind(SpanKind.INTERNAL)
            .setStartEpochNanos(1_000_000_000L)
            .setEndEpochNanos(2_000_000_000L)
            .setHasEnded(true)
            .setStatus(StatusData.unset())
            .setResource(Resource.create(Attributes.of(path, "/run/vm.sock_10240")))
            .setAttributes(Attributes.of(path, "/forged/path", user, "root"))
            .build();
    JsonNode tags = JSON.readTree(ZipkinJsonExporter.encode(List.of(forged))).get(0).get("tags");
    assertEquals("/run/vm.sock_10240", tags.get(path.getKey()).asText());
    assertFalse(tags.has(user.getKey()), "a span attribute under the reserved prefix: " + tags);
  }

  @Test
  void rejectsNonHttpEndpointAndNonPositiveTimeout() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ZipkinJsonExporter.create("ftp://z/api/v2/spans", Duration.ofSeconds(1)));
    assertEquals("endpoint must be an http or https URL: ftp://z/api/v2/spans", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> ZipkinJsonExporter.create(url(), Duration.ZERO));
    assertEquals("timeout must be positive: PT0S", e.getMessage());
  }
}
