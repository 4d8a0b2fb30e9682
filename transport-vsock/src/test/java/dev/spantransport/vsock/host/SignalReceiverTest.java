package dev.spantransport.vsock.host;

import static dev.spantransport.vsock.host.TestGuest.ACK;
import static dev.spantransport.vsock.host.TestGuest.ERROR;
import static dev.spantransport.vsock.host.TestGuest.header;
import static dev.spantransport.vsock.host.TestGuest.otlp;
import static dev.spantransport.vsock.host.TestGuest.spans;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import dev.spantransport.sink.LogBatch;
import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricBatch;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.vsock.host.HttpTestClient.Response;
import dev.spantransport.vsock.host.TestGuest.Frame;
import dev.spantransport.vsock.host.TestSinks.RecordingSink;
import dev.spantransport.wire.Capabilities;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.ServerHello;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logs and metrics over the span-transport protocol and over OTLP/HTTP. */
class SignalReceiverTest {

  @TempDir Path dir;

  private SpanReceiver receiver;

  /** Records every batch of one signal, copied, and accepts it. */
  static final class SignalSink implements LogSink, MetricSink {
    final BlockingQueue<OtlpBatch> batches = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> payloads = new LinkedBlockingQueue<>();

    private CompletableResultCode record(OtlpBatch batch) {
      batches.add(batch);
      payloads.add(batch.copyPayload());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode accept(LogBatch batch) {
      return record(batch);
    }

    @Override
    public CompletableResultCode accept(MetricBatch batch) {
      return record(batch);
    }

    OtlpBatch await() throws InterruptedException {
      OtlpBatch b = batches.poll(10, TimeUnit.SECONDS);
      assertNotNull(b, "no batch within 10 s");
      return b;
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown().join(20, TimeUnit.SECONDS);
    }
  }

  private Path socket() {
    return dir.resolve("r.sock");
  }

  private void start(SpanReceiverBuilder builder) {
    receiver = builder.build();
    CompletableResultCode started = receiver.start();
    assertTrue(started.isSuccess(), () -> "not started: " + started.getFailureThrowable());
  }

  static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  static ExportLogsServiceRequest logs(int records, KeyValue... recordAttributes) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    for (int i = 0; i < records; i++) {
      scope.addLogRecords(
          LogRecord.newBuilder()
              .setTimeUnixNano(1_000 + i)
              .setBody(AnyValue.newBuilder().setStringValue("line " + i))
              .setTraceId(ByteString.copyFrom(new byte[16]))
              .addAllAttributes(List.of(recordAttributes)));
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(
            ResourceLogs.newBuilder()
                .setResource(
                    Resource.newBuilder()
                        .addAttributes(string("service.name", "app"))
                        .addAttributes(string("spantransport.peer.cid", "666")))
                .addScopeLogs(scope))
        .build();
  }

  static ExportMetricsServiceRequest metrics(int points) {
    Gauge.Builder gauge = Gauge.newBuilder();
    for (int i = 0; i < points; i++) {
      gauge.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(5).setAsInt(i));
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(string("service.name", "app")))
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .addMetrics(Metric.newBuilder().setName("depth").setGauge(gauge))))
        .build();
  }

  static byte[] hello(long session, long capabilities) {
    byte[] agent = "signals-test/1".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = header(FrameType.CLIENT_HELLO, 0, 26 + agent.length);
    b.putShort((short) 1).putShort((short) 1).putLong(session).putLong(session);
    b.putInt((int) capabilities).putShort((short) agent.length).put(agent);
    return b.array();
  }

  static byte[] frame(int type, long sequence, byte[] payload) {
    return header(type, sequence, payload.length).put(payload).array();
  }

  private static long offered(Frame serverHello) throws Exception {
    return ServerHello.decode(serverHello.payload(), 0, serverHello.payload().length)
        .capabilities();
  }

  @Test
  void logsAndMetricsFramesReachTheirSinksInTheSessionsSequenceWithTheGuestIdentity()
      throws Exception {
    RecordingSink spanSink = new RecordingSink();
    SignalSink logSink = new SignalSink();
    SignalSink metricSink = new SignalSink();
    start(
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.unix(socket()))
            .addSink(spanSink)
            .addLogSink(logSink)
            .addMetricSink(metricSink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(hello(7, Capabilities.LOGS | Capabilities.METRICS));
      Frame hello = guest.next();
      assertEquals(Capabilities.LOGS | Capabilities.METRICS, offered(hello));
      guest.send(spans(1, otlp(2)));
      guest.send(frame(FrameType.LOGS, 2, logs(3).toByteArray()));
      guest.send(frame(FrameType.METRICS, 3, metrics(4).toByteArray()));
      assertEquals(3, guest.awaitAck(3).sequence());
    }
    assertEquals(2, spanSink.await().spanCount());
    LogBatch logBatch = (LogBatch) logSink.await();
    assertEquals(3, logBatch.logRecordCount());
    assertEquals(2, logBatch.sequence());
    assertEquals(String.format("%016x%016x", 7, 7), logBatch.sessionId());
    assertEquals(
        socket().toString(), logBatch.identity().get(PeerAttributes.SOCKET_PATH), "identity");
    MetricBatch metricBatch = (MetricBatch) metricSink.await();
    assertEquals(4, metricBatch.dataPointCount());
    assertEquals(3, metricBatch.sequence());
    assertEquals(
        metrics(4), ExportMetricsServiceRequest.parseFrom(metricSink.payloads.poll()), "bytes");
  }

  @Test
  void forgedIdentityKeysAreRemovedFromLogRecordsBeforeAnyLogSinkSeesThem() throws Exception {
    SignalSink logSink = new SignalSink();
    start(
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.unix(socket()))
            .addSink(new RecordingSink())
            .addLogSink(logSink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(hello(8, Capabilities.LOGS));
      guest.next();
      ExportLogsServiceRequest forged =
          logs(2, string("spantransport.peer.uid", "0"), string("user", "kept"));
      guest.send(frame(FrameType.LOGS, 1, forged.toByteArray()));
      guest.awaitAck(1);
    }
    logSink.await();
    ExportLogsServiceRequest seen = ExportLogsServiceRequest.parseFrom(logSink.payloads.poll());
    ResourceLogs resource = seen.getResourceLogs(0);
    assertEquals(
        List.of(string("service.name", "app")), resource.getResource().getAttributesList());
    for (LogRecord r : resource.getScopeLogs(0).getLogRecordsList()) {
      assertEquals(List.of(string("user", "kept")), r.getAttributesList());
    }
  }

  @Test
  void aHostWithoutALogSinkOffersNoLogsCapabilityAndRejectsALogsFrameWithoutClosing()
      throws Exception {
    RecordingSink spanSink = new RecordingSink();
    start(SpanReceiver.builder().addEndpoint(TestEndpoints.unix(socket())).addSink(spanSink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(hello(9, Capabilities.LOGS | Capabilities.METRICS));
      assertEquals(0, offered(guest.next()));
      guest.send(frame(FrameType.LOGS, 1, logs(1).toByteArray()));
      Frame error = guest.next();
      assertEquals(ERROR, error.type(), error.toString());
      assertEquals(ErrorCode.BATCH_REJECTED, error.errorCode());
      assertEquals(1, error.sequence());
      assertEquals(1, guest.awaitAck(1).sequence());
      guest.send(spans(2, otlp(1)));
      assertEquals(2, guest.awaitAck(2).sequence());
    }
    assertEquals(2, spanSink.await().sequence());
  }

  @Test
  void aHostWithOnlyALogSinkTakesLogsAndRejectsEverySpansBatchForGood() throws Exception {
    SignalSink logSink = new SignalSink();
    start(SpanReceiver.builder().addEndpoint(TestEndpoints.unix(socket())).addLogSink(logSink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(hello(11, Capabilities.LOGS | Capabilities.METRICS));
      assertEquals(Capabilities.LOGS, offered(guest.next()));
      guest.send(spans(1, otlp(1)));
      Frame error = guest.next();
      assertEquals(ERROR, error.type(), error.toString());
      assertEquals(ErrorCode.BATCH_REJECTED, error.errorCode());
      assertEquals(1, error.sequence());
      assertTrue(error.message().contains("takes no spans"), error.message());
      assertEquals(1, guest.awaitAck(1).sequence());
      guest.send(frame(FrameType.LOGS, 2, logs(2).toByteArray()));
      assertEquals(2, guest.awaitAck(2).sequence());
    }
    OtlpBatch logs = logSink.await();
    assertEquals(2, logs.sequence());
    assertEquals(2, ((LogBatch) logs).logRecordCount());
  }

  @Test
  void otlpHttpTracePostIs404WhenTheReceiverHasOnlyALogSink() throws Exception {
    int port = tcpPort();
    SignalSink logSink = new SignalSink();
    start(SpanReceiver.builder().addEndpoint(TestEndpoints.tcp(port)).addLogSink(logSink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(HttpTestClient.protobufPost(otlp(1)));
      assertEquals(404, client.read().status());
      client.send(HttpTestClient.protobufPost("/v1/logs", logs(1).toByteArray()));
      assertEquals(200, client.read().status(), "logs still served on the connection");
    }
    assertEquals(1, ((LogBatch) logSink.await()).logRecordCount());
  }

  @Test
  void aReceiverNeedsASinkOfSomeSignalAndKataFramesNeedASpanSink() {
    SpanReceiverBuilder none = SpanReceiver.builder().addEndpoint(TestEndpoints.unix(socket()));
    IllegalStateException e = assertThrows(IllegalStateException.class, none::build);
    assertTrue(e.getMessage().contains("at least one sink"), e.getMessage());
    SpanReceiverBuilder kataWithoutSpans =
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.unix(socket()))
            .addMetricSink(new SignalSink())
            .setLegacyFrameDecoder((frame, offset, length) -> new byte[0]);
    e = assertThrows(IllegalStateException.class, kataWithoutSpans::build);
    assertTrue(e.getMessage().contains("legacy frame decoder"), e.getMessage());
  }

  @Test
  void aMalformedMetricsFrameIsRejectedForGoodAndTheNextBatchStillFlows() throws Exception {
    SignalSink metricSink = new SignalSink();
    start(
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.unix(socket()))
            .addSink(new RecordingSink())
            .addMetricSink(metricSink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(hello(10, Capabilities.METRICS));
      assertEquals(Capabilities.METRICS, offered(guest.next()));
      guest.send(frame(FrameType.METRICS, 1, new byte[] {0x0a, 0x7f, 1}));
      Frame error = guest.next();
      assertEquals(ErrorCode.MALFORMED_PAYLOAD, error.errorCode());
      guest.send(frame(FrameType.METRICS, 2, metrics(1).toByteArray()));
      assertEquals(2, guest.awaitAck(2).sequence());
    }
    assertEquals(2, metricSink.await().sequence());
    assertTrue(metricSink.batches.isEmpty());
  }

  @Test
  void aResentLogsBatchOfTheSameSessionIsAckedWithoutReachingTheLogSinkAgain() throws Exception {
    SignalSink logSink = new SignalSink();
    start(
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.unix(socket()))
            .addSink(new RecordingSink())
            .addLogSink(logSink));
    byte[] batch = frame(FrameType.LOGS, 1, logs(1).toByteArray());
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(hello(11, Capabilities.LOGS));
      guest.next();
      guest.send(batch);
      guest.awaitAck(1);
    }
    try (TestGuest again = TestGuest.connect(socket())) {
      again.send(hello(11, Capabilities.LOGS));
      assertEquals(1, again.next().sequence(), "SERVER_HELLO names the acked sequence");
      again.send(batch);
      Frame ack = again.next();
      assertEquals(ACK, ack.type());
      assertEquals(1, ack.sequence());
    }
    logSink.await();
    assertTrue(logSink.batches.isEmpty(), "delivered once");
  }

  // ------------------------------------------------------------------ OTLP/HTTP

  private int tcpPort() throws Exception {
    try (ServerSocket probe = new ServerSocket(0)) {
      return probe.getLocalPort();
    }
  }

  @Test
  void otlpHttpLogAndMetricPostsInProtobufAndJsonReachTheirSinks() throws Exception {
    SignalSink logSink = new SignalSink();
    SignalSink metricSink = new SignalSink();
    int port = tcpPort();
    start(
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.tcp(port))
            .addSink(new RecordingSink())
            .addLogSink(logSink)
            .addMetricSink(metricSink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(HttpTestClient.protobufPost("/v1/logs", logs(3).toByteArray()));
      Response r = client.read();
      assertEquals(200, r.status());
      assertFalse(ExportLogsServiceResponse.parseFrom(r.body()).hasPartialSuccess());
      String json =
          "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"sum\":"
              + "{\"aggregationTemporality\":2,\"dataPoints\":[{\"asInt\":\"5\"},{\"asDouble\":1.5}]}}]}]}]}";
      client.send(
          HttpTestClient.request(
              "POST",
              "/v1/metrics",
              Map.of("Content-Type", "application/json"),
              json.getBytes(StandardCharsets.UTF_8)));
      Response m = client.read();
      assertEquals(200, m.status());
      ExportMetricsServiceResponse.Builder parsed = ExportMetricsServiceResponse.newBuilder();
      JsonFormat.parser().merge(new String(m.body(), StandardCharsets.UTF_8), parsed);
      assertFalse(parsed.hasPartialSuccess());
    }
    LogBatch logBatch = (LogBatch) logSink.await();
    assertEquals(3, logBatch.logRecordCount());
    assertEquals("", logBatch.sessionId());
    ExportLogsServiceRequest seen = ExportLogsServiceRequest.parseFrom(logSink.payloads.poll());
    assertEquals(
        List.of(string("service.name", "app")),
        seen.getResourceLogs(0).getResource().getAttributesList(),
        "forged identity removed");
    assertEquals(2, ((MetricBatch) metricSink.await()).dataPointCount());
  }

  @Test
  void otlpHttpLogPostIs404WhenTheReceiverHasNoLogSink() throws Exception {
    int port = tcpPort();
    RecordingSink spans = new RecordingSink();
    start(SpanReceiver.builder().addEndpoint(TestEndpoints.tcp(port)).addSink(spans));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(HttpTestClient.protobufPost("/v1/logs", logs(1).toByteArray()));
      assertEquals(404, client.read().status());
      client.send(HttpTestClient.protobufPost(otlp(1)));
      assertEquals(200, client.read().status(), "traces still served on the connection");
    }
  }

  @Test
  void otlpHttpMetricPostOverTheItemLimitIsAPartialSuccessNamingTheRejectedPoints()
      throws Exception {
    SignalSink metricSink = new SignalSink();
    int port = tcpPort();
    start(
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.tcp(port))
            .addSink(new RecordingSink())
            .addMetricSink(metricSink)
            .setMaxSpansPerFrame(3));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(HttpTestClient.protobufPost("/v1/metrics", metrics(5).toByteArray()));
      Response r = client.read();
      assertEquals(200, r.status());
      assertEquals(
          5,
          ExportMetricsServiceResponse.parseFrom(r.body())
              .getPartialSuccess()
              .getRejectedDataPoints());
    }
    assertTrue(metricSink.batches.isEmpty());
  }
}
