package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.spantransport.sink.LogBatch;
import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricBatch;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.OtlpHttpSink;
import dev.spantransport.tests.app.LoggingHttpApp;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The real OpenTelemetry Java agent with span-transport's extension, on an unmodified application
 * ({@link LoggingHttpApp}) in a separate JVM, with {@code otel.traces.exporter}, {@code
 * otel.logs.exporter} and {@code otel.metrics.exporter} all {@code vsock}: its spans, its {@code
 * java.util.logging} lines and the agent's HTTP and JVM metrics reach one {@link SpanReceiver} over
 * one span-transport connection. Log and metric batches go through the {@link OtlpHttpSink}
 * passthrough to a collector stub, which parses the bytes it gets with protobuf-java's generated
 * classes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignalsIT {

  private static final int CALLS = 3;

  private Path dir;
  private HttpServer collector;
  private final List<byte[]> logBodies = new CopyOnWriteArrayList<>();
  private final List<byte[]> metricBodies = new CopyOnWriteArrayList<>();
  private final Set<String> sessions = ConcurrentHashMap.newKeySet();
  private final InMemorySpanExporter received = InMemorySpanExporter.create();
  private List<SpanData> spans = List.of(); // copied before the receiver's shutdown clears them
  private long appPid;
  private Path log;

  /** Notes each batch's session, then hands it to the passthrough. */
  private final class SessionNotingSink implements LogSink, MetricSink {
    private final OtlpHttpSink passthrough;

    SessionNotingSink(OtlpHttpSink passthrough) {
      this.passthrough = passthrough;
    }

    @Override
    public CompletableResultCode accept(LogBatch batch) {
      sessions.add(batch.sessionId());
      return passthrough.accept(batch);
    }

    @Override
    public CompletableResultCode accept(MetricBatch batch) {
      sessions.add(batch.sessionId());
      return passthrough.accept(batch);
    }

    @Override
    public CompletableResultCode shutdown() {
      return passthrough.shutdown();
    }
  }

  @BeforeAll
  void runTheAppUnderTheAgent() throws Exception {
    dir = Files.createTempDirectory("signals-it");
    collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          String path = exchange.getRequestURI().getPath();
          if (path.equals("/v1/logs")) {
            logBodies.add(body);
          } else if (path.equals("/v1/metrics")) {
            metricBodies.add(body);
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    collector.start();
    OtlpHttpSink passthrough =
        OtlpHttpSink.builder()
            .setEndpoint("http://127.0.0.1:" + collector.getAddress().getPort())
            .build();
    SessionNotingSink signals = new SessionNotingSink(passthrough);
    Path socket = dir.resolve("agent.sock");
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint("unix:" + socket)
            .setSpanExporter(received)
            .addLogSink(signals)
            .addMetricSink(signals)
            .build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess(), "receiver start");
    log = dir.resolve("app.log");
    Process app = null;
    try {
      List<String> command = Peers.javaCommand();
      command.addAll(
          List.of(
              "-javaagent:" + Peers.jar("opentelemetry-javaagent.jar"),
              "-Dotel.javaagent.extensions=" + Peers.jar("span-transport-agent-extension.jar"),
              "-Dotel.service.name=signals-app",
              "-Dotel.traces.exporter=vsock",
              "-Dotel.logs.exporter=vsock",
              "-Dotel.metrics.exporter=vsock",
              "-Dotel.exporter.vsock.endpoint=unix:" + socket,
              "-Dotel.metric.export.interval=500",
              "-Dotel.bsp.schedule.delay=100",
              "-Dotel.blrp.schedule.delay=100",
              "-XX:TieredStopAtLevel=1",
              "-cp",
              Path.of(
                      LoggingHttpApp.class
                          .getProtectionDomain()
                          .getCodeSource()
                          .getLocation()
                          .toURI())
                  .toString(),
              LoggingHttpApp.class.getName(),
              Integer.toString(CALLS)));
      app =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertTrue(app.waitFor(120, TimeUnit.SECONDS), "app did not exit:\n" + Peers.tail(log));
      assertEquals(0, app.exitValue(), "app exit status:\n" + Peers.tail(log));
      appPid = app.pid();
      // The agent's shutdown hook flushed every exporter, which waits for acks: all is in.
      awaitNonEmpty(logBodies, "log requests at the collector");
      awaitNonEmpty(metricBodies, "metric requests at the collector");
      spans = new ArrayList<>(received.getFinishedSpanItems());
    } finally {
      if (app != null && app.isAlive()) {
        Peers.stop(app);
      }
      assertTrue(receiver.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "receiver shutdown");
    }
  }

  @AfterAll
  void stopCollector() {
    if (collector != null) {
      collector.stop(0);
    }
  }

  private void awaitNonEmpty(List<byte[]> bodies, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (bodies.isEmpty()) {
      if (System.nanoTime() > deadline) {
        fail("no " + what + "; app log:\n" + Peers.tail(log));
      }
      Thread.sleep(50); // polling interval, not an assertion
    }
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        return kv.getValue().hasIntValue()
            ? Long.toString(kv.getValue().getIntValue())
            : kv.getValue().getStringValue();
      }
    }
    return null;
  }

  @Test
  void agentSendsTheAppsLogRecordsWithTheirTraceContextAndTheSocketsIdentity() throws Exception {
    List<LogRecord> records = new ArrayList<>();
    List<String> serverTraceIds =
        spans.stream()
            .filter(s -> s.getKind() == SpanKind.SERVER)
            .map(SpanData::getTraceId)
            .toList();
    for (byte[] body : logBodies) {
      for (ResourceLogs rl : ExportLogsServiceRequest.parseFrom(body).getResourceLogsList()) {
        List<KeyValue> resource = rl.getResource().getAttributesList();
        assertEquals("signals-app", attribute(resource, "service.name"));
        assertEquals("unix", attribute(resource, "spantransport.peer.transport"));
        assertEquals(Long.toString(appPid), attribute(resource, "spantransport.peer.pid"));
        rl.getScopeLogsList().forEach(s -> records.addAll(s.getLogRecordsList()));
      }
    }
    List<LogRecord> orders =
        records.stream()
            .filter(r -> r.getBody().getStringValue().startsWith("order placed: n="))
            .toList();
    assertEquals(CALLS, orders.size(), "one log record per request: " + records);
    for (LogRecord r : orders) {
      assertEquals("WARNING", r.getSeverityText());
      String traceId = HexFormat.of().formatHex(r.getTraceId().toByteArray());
      assertTrue(
          serverTraceIds.contains(traceId),
          "log record carries its server span's trace id " + traceId + ": " + serverTraceIds);
      assertFalse(r.getSpanId().isEmpty());
    }
  }

  @Test
  void agentSendsTheAppsMetricsOverTheSameSpanTransportSession() throws Exception {
    List<Metric> metrics = new ArrayList<>();
    for (byte[] body : metricBodies) {
      for (ResourceMetrics rm :
          ExportMetricsServiceRequest.parseFrom(body).getResourceMetricsList()) {
        List<KeyValue> resource = rm.getResource().getAttributesList();
        assertEquals("signals-app", attribute(resource, "service.name"));
        assertEquals(Long.toString(appPid), attribute(resource, "spantransport.peer.pid"));
        rm.getScopeMetricsList().forEach(s -> metrics.addAll(s.getMetricsList()));
      }
    }
    // cumulative: the largest total over one export's points counts every request
    long count = 0;
    for (byte[] body : metricBodies) {
      long total =
          ExportMetricsServiceRequest.parseFrom(body).getResourceMetricsList().stream()
              .flatMap(rm -> rm.getScopeMetricsList().stream())
              .flatMap(sm -> sm.getMetricsList().stream())
              .filter(m -> m.getName().equals("http.server.request.duration"))
              .flatMap(m -> m.getHistogram().getDataPointsList().stream())
              .mapToLong(p -> p.getCount())
              .sum();
      count = Math.max(count, total);
    }
    assertTrue(
        metrics.stream().anyMatch(m -> m.getName().equals("http.server.request.duration")),
        "no http.server.request.duration in " + names(metrics));
    assertEquals(CALLS, count, "requests counted by the server duration histogram");
    assertTrue(
        metrics.stream().anyMatch(m -> m.getName().startsWith("jvm.")),
        "the agent's JVM metrics too: " + names(metrics));
    assertEquals(1, sessions.size(), "logs and metrics came in one session: " + sessions);
    assertEquals(2 * CALLS, spans.size(), "client and server spans");
  }

  private static List<String> names(List<Metric> metrics) {
    return metrics.stream().map(Metric::getName).distinct().sorted().toList();
  }
}
