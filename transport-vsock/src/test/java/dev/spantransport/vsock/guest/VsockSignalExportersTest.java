package dev.spantransport.vsock.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.LogBatch;
import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricBatch;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.Signal;
import dev.spantransport.spi.UnixEndpoint;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.logs.TestLogRecordData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log and metric exporters against a real receiver, sharing the span exporter's connection. */
class VsockSignalExportersTest {

  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String SPAN_ID = "b7ad6b7169203331";

  @TempDir Path dir;

  private SpanReceiver receiver;
  private final List<Object> exporters = new ArrayList<>();

  /** Keeps a copy of every batch of every signal. */
  static final class Recorder implements SpanSink, LogSink, MetricSink {
    final BlockingQueue<OtlpBatch> batches = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> logs = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> metrics = new LinkedBlockingQueue<>();

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      batches.add(batch);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode accept(LogBatch batch) {
      logs.add(batch.copyPayload());
      batches.add(batch);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode accept(MetricBatch batch) {
      metrics.add(batch.copyPayload());
      batches.add(batch);
      return CompletableResultCode.ofSuccess();
    }

    OtlpBatch await(Signal signal) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        OtlpBatch b = batches.poll(100, TimeUnit.MILLISECONDS);
        if (b != null && b.signal() == signal) {
          return b;
        }
      }
      throw new AssertionError("no " + signal + " batch within 10 s");
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @AfterEach
  void stop() {
    for (Object e : exporters) {
      if (e instanceof VsockSpanExporter s) {
        s.shutdown().join(10, TimeUnit.SECONDS);
      } else if (e instanceof VsockLogRecordExporter l) {
        l.shutdown().join(10, TimeUnit.SECONDS);
      } else if (e instanceof VsockMetricExporter m) {
        m.shutdown().join(10, TimeUnit.SECONDS);
      }
    }
    if (receiver != null) {
      receiver.shutdown().join(20, TimeUnit.SECONDS);
    }
  }

  private Path socket() {
    return dir.resolve("host.sock");
  }

  private String endpoint() {
    return "unix:" + socket();
  }

  private Recorder start(boolean logs, boolean metrics) {
    Recorder recorder = new Recorder();
    SpanReceiverBuilder b =
        SpanReceiver.builder().addEndpoint(new UnixEndpoint(socket())).addSink(recorder);
    if (logs) {
      b.addLogSink(recorder);
    }
    if (metrics) {
      b.addMetricSink(recorder);
    }
    receiver = b.build();
    assertTrue(receiver.start().isSuccess());
    return recorder;
  }

  private <T> T keep(T exporter) {
    exporters.add(exporter);
    return exporter;
  }

  static LogRecordData log(String body) {
    return TestLogRecordData.builder()
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "app")))
        .setInstrumentationScopeInfo(InstrumentationScopeInfo.create("test"))
        .setTimestamp(1_700_000_000L, TimeUnit.SECONDS)
        .setObservedTimestamp(1_700_000_001L, TimeUnit.SECONDS)
        .setSeverity(Severity.WARN)
        .setSeverityText("WARN")
        .setBody(body)
        .setAttributes(Attributes.of(AttributeKey.stringKey("spantransport.peer.cid"), "666"))
        .setSpanContext(
            SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault()))
        .build();
  }

  static Collection<MetricData> metrics(int counterValue) {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (SdkMeterProvider meters =
        SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      meters.get("test").counterBuilder("requests").build().add(counterValue);
      meters.get("test").histogramBuilder("latency").build().record(2.5);
      return reader.collectAllMetrics();
    }
  }

  @Test
  void spanLogAndMetricExportersShareOneSessionAndTheHostGetsLogRecordsAndMetricPoints()
      throws Exception {
    Recorder recorder = start(true, true);
    VsockSpanExporter spans = keep(VsockSpanExporter.builder().setEndpoint(endpoint()).build());
    VsockLogRecordExporter logs =
        keep(VsockLogRecordExporter.builder().setEndpoint(endpoint()).build());
    VsockMetricExporter metrics =
        keep(VsockMetricExporter.builder().setEndpoint(endpoint()).build());
    assertSame(spans.channel(), logs.signalExporter().channel(), "one connection");
    assertSame(spans.channel(), metrics.signalExporter().channel(), "one connection");

    assertTrue(spans.export(VsockSpanExporterTest.spans("s", 2)).isSuccess());
    assertTrue(logs.export(List.of(log("first"), log("second"))).isSuccess());
    assertTrue(metrics.export(metrics(7)).isSuccess());
    assertTrue(logs.flush().join(10, TimeUnit.SECONDS).isSuccess(), "acked");

    OtlpBatch spanBatch = recorder.await(Signal.TRACES);
    LogBatch logBatch = (LogBatch) recorder.await(Signal.LOGS);
    MetricBatch metricBatch = (MetricBatch) recorder.await(Signal.METRICS);
    assertEquals(spanBatch.sessionId(), logBatch.sessionId(), "one session");
    assertEquals(spanBatch.sessionId(), metricBatch.sessionId(), "one session");
    assertEquals(
        List.of(1L, 2L, 3L),
        List.of(spanBatch.sequence(), logBatch.sequence(), metricBatch.sequence()));
    assertEquals(2, logBatch.logRecordCount());
    assertEquals(2, metricBatch.dataPointCount());
    assertEquals(socket().toString(), logBatch.identity().get(PeerAttributes.SOCKET_PATH));

    ExportLogsServiceRequest sentLogs = ExportLogsServiceRequest.parseFrom(recorder.logs.poll());
    // the SDK's marshaler groups by resource instance: each test record made its own
    List<LogRecord> records =
        sentLogs.getResourceLogsList().stream()
            .flatMap(r -> r.getScopeLogsList().stream())
            .flatMap(sl -> sl.getLogRecordsList().stream())
            .toList();
    assertEquals(2, records.size());
    LogRecord first =
        records.stream()
            .filter(r -> r.getBody().getStringValue().equals("first"))
            .findFirst()
            .orElseThrow();
    assertEquals(TRACE_ID, hex(first.getTraceId().toByteArray()));
    assertEquals(SPAN_ID, hex(first.getSpanId().toByteArray()));
    assertEquals(0, first.getAttributesCount(), "forged identity key stripped by the host");
    ExportMetricsServiceRequest sentMetrics =
        ExportMetricsServiceRequest.parseFrom(recorder.metrics.poll());
    Map<String, Metric> byName = new HashMap<>();
    sentMetrics
        .getResourceMetrics(0)
        .getScopeMetrics(0)
        .getMetricsList()
        .forEach(m -> byName.put(m.getName(), m));
    assertEquals(7, byName.get("requests").getSum().getDataPoints(0).getAsInt());
    assertEquals(1, byName.get("latency").getHistogram().getDataPoints(0).getCount());
    assertEquals(2, metrics.metrics().acked(), "metric_points acked: counter and histogram");
    assertEquals(2, logs.metrics().acked());
  }

  @Test
  void aHostWithoutALogSinkGetsNoLogsFrameAndTheLogExporterCountsThemNotNegotiated()
      throws Exception {
    Recorder recorder = start(false, false);
    VsockSpanExporter spans = keep(VsockSpanExporter.builder().setEndpoint(endpoint()).build());
    VsockLogRecordExporter logs =
        keep(VsockLogRecordExporter.builder().setEndpoint(endpoint()).build());
    assertTrue(spans.export(VsockSpanExporterTest.spans("s", 1)).isSuccess());
    assertTrue(logs.export(List.of(log("dropped"))).isSuccess());
    assertTrue(spans.export(VsockSpanExporterTest.spans("t", 1)).isSuccess());
    assertTrue(spans.flush().join(10, TimeUnit.SECONDS).isSuccess());

    assertEquals(1, logs.metrics().dropped(DropReason.NOT_NEGOTIATED));
    assertEquals(0, logs.metrics().acked());
    assertEquals(2, spans.metrics().acked(), "spans keep flowing");
    assertEquals(Signal.TRACES, recorder.await(Signal.TRACES).signal());
    assertEquals(Signal.TRACES, recorder.await(Signal.TRACES).signal());
    assertTrue(recorder.batches.isEmpty(), "no log batch reached the host");
  }

  @Test
  void shuttingDownTheLogExporterLeavesTheSharedConnectionToTheSpanExporter() throws Exception {
    Recorder recorder = start(true, false);
    VsockSpanExporter spans = keep(VsockSpanExporter.builder().setEndpoint(endpoint()).build());
    VsockLogRecordExporter logs = VsockLogRecordExporter.builder().setEndpoint(endpoint()).build();
    assertTrue(logs.export(List.of(log("one"))).isSuccess());
    assertTrue(logs.shutdown().join(15, TimeUnit.SECONDS).isSuccess(), "flushed, not stopped");
    assertEquals(1, logs.metrics().acked());
    assertTrue(spans.export(VsockSpanExporterTest.spans("after", 1)).isSuccess());
    assertTrue(spans.flush().join(10, TimeUnit.SECONDS).isSuccess());
    assertEquals(ExporterState.CONNECTED, spans.state());
    recorder.await(Signal.LOGS);
    assertEquals(2, recorder.await(Signal.TRACES).sequence(), "same session goes on");
  }

  @Test
  void aSecondLogExporterForTheSameEndpointGetsAConnectionOfItsOwn() {
    start(true, false);
    VsockLogRecordExporter first =
        keep(VsockLogRecordExporter.builder().setEndpoint(endpoint()).build());
    VsockLogRecordExporter second =
        keep(VsockLogRecordExporter.builder().setEndpoint(endpoint()).build());
    assertNotSame(first.signalExporter().channel(), second.signalExporter().channel());
  }

  @Test
  void metricExporterIsCumulativeByDefaultAndDeltaWhenAsked() {
    VsockMetricExporter cumulative = keep(VsockMetricExporter.builder().setEnabled(false).build());
    assertEquals(
        AggregationTemporality.CUMULATIVE,
        cumulative.getAggregationTemporality(InstrumentType.COUNTER));
    VsockMetricExporter delta =
        keep(
            VsockMetricExporter.builder()
                .setEnabled(false)
                .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred())
                .build());
    assertEquals(
        AggregationTemporality.DELTA, delta.getAggregationTemporality(InstrumentType.COUNTER));
    assertEquals(
        AggregationTemporality.CUMULATIVE,
        delta.getAggregationTemporality(InstrumentType.UP_DOWN_COUNTER));
    assertEquals(ExporterState.DISABLED, delta.state());
    assertTrue(delta.export(metrics(1)).isSuccess());
    assertEquals(2, delta.metrics().dropped(DropReason.DISABLED));
  }

  @Test
  void autoconfigurationBuildsVsockLogAndMetricExportersSharingTheSpanExportersConnection()
      throws Exception {
    Recorder recorder = start(true, true);
    Map<String, String> props = new HashMap<>();
    props.put("otel.traces.exporter", "vsock");
    props.put("otel.logs.exporter", "vsock");
    props.put("otel.metrics.exporter", "vsock");
    props.put("otel.metric.export.interval", "600000");
    props.put("otel.exporter.otlp.metrics.temporality.preference", "delta");
    props.put("otel.exporter.vsock.endpoint", endpoint());
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> props)
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk();
    try {
      sdk.getTracer("auto").spanBuilder("span").startSpan().end();
      sdk.getLogsBridge().get("auto").logRecordBuilder().setBody("hello").emit();
      sdk.getMeter("auto").counterBuilder("auto.count").build().add(3);
      assertTrue(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(sdk.getSdkLoggerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(sdk.getSdkMeterProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      OtlpBatch logs = recorder.await(Signal.LOGS);
      OtlpBatch metrics = recorder.await(Signal.METRICS);
      assertEquals(logs.sessionId(), metrics.sessionId(), "one connection for all signals");
      ExportMetricsServiceRequest sent =
          ExportMetricsServiceRequest.parseFrom(recorder.metrics.poll());
      Metric counter =
          sent.getResourceMetrics(0).getScopeMetricsList().stream()
              .flatMap(s -> s.getMetricsList().stream())
              .filter(m -> m.getName().equals("auto.count"))
              .findFirst()
              .orElseThrow();
      assertEquals(
          io.opentelemetry.proto.metrics.v1.AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
          counter.getSum().getAggregationTemporality());
    } finally {
      assertTrue(sdk.shutdown().join(30, TimeUnit.SECONDS).isSuccess());
    }
  }

  private static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      sb.append(String.format("%02x", b));
    }
    return sb.toString();
  }
}
