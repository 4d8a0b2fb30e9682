package dev.spantransport.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.codec.SignalPayloads;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.data.SummaryPointData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.logs.TestLogRecordData;
import java.io.ByteArrayOutputStream;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SignalExporterSinksTest {

  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String SPAN_ID = "b7ad6b7169203331";

  private static byte[] bytes(io.opentelemetry.exporter.internal.marshal.Marshaler m)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.writeBinaryTo(out);
    return out.toByteArray();
  }

  @Test
  void logRecordExporterSinkHandsTheExporterEveryLogRecordWithItsTraceContextAndTheGuestIdentity()
      throws Exception {
    LogRecordData original =
        TestLogRecordData.builder()
            .setResource(
                Resource.create(
                    Attributes.of(
                        AttributeKey.stringKey("service.name"), "app",
                        AttributeKey.stringKey("spantransport.peer.cid"), "666")))
            .setInstrumentationScopeInfo(
                InstrumentationScopeInfo.builder("lib").setVersion("2.0").build())
            .setTimestamp(1_700_000_000_123L, TimeUnit.MILLISECONDS)
            .setObservedTimestamp(1_700_000_000_456L, TimeUnit.MILLISECONDS)
            .setSeverity(Severity.ERROR)
            .setSeverityText("ERROR")
            .setBody("disk full")
            .setAttributes(Attributes.of(AttributeKey.longKey("attempt"), 3L))
            .setSpanContext(
                SpanContext.create(
                    TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault()))
            .build();
    byte[] payload = bytes(LogsRequestMarshaler.create(List.of(original)));
    InMemoryLogRecordExporter exporter = InMemoryLogRecordExporter.create();
    LogRecordExporterSink sink = LogRecordExporterSink.create(exporter);

    CompletableResultCode result =
        sink.accept(
            LogBatch.of(Payloads.PEER, Payloads.IDENTITY, "", 1, 1, payload, 0, payload.length));

    assertTrue(result.isSuccess());
    LogRecordData got = exporter.getFinishedLogRecordItems().get(0);
    assertEquals("disk full", got.getBodyValue().asString());
    assertEquals(Severity.ERROR, got.getSeverity());
    assertEquals("ERROR", got.getSeverityText());
    assertEquals(original.getTimestampEpochNanos(), got.getTimestampEpochNanos());
    assertEquals(original.getObservedTimestampEpochNanos(), got.getObservedTimestampEpochNanos());
    assertEquals(TRACE_ID, got.getSpanContext().getTraceId());
    assertEquals(SPAN_ID, got.getSpanContext().getSpanId());
    assertTrue(got.getSpanContext().isSampled());
    assertEquals(3L, got.getAttributes().get(AttributeKey.longKey("attempt")));
    assertEquals("lib", got.getInstrumentationScopeInfo().getName());
    assertEquals("2.0", got.getInstrumentationScopeInfo().getVersion());
    Attributes resource = got.getResource().getAttributes();
    assertEquals("app", resource.get(AttributeKey.stringKey("service.name")));
    assertEquals(42L, resource.get(AttributeKey.longKey("spantransport.peer.cid")), "real CID");
    assertTrue(sink.shutdown().isSuccess());
  }

  @Test
  void metricExporterSinkRebuildsGaugeSumHistogramAndExponentialHistogramPoints() throws Exception {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    Collection<MetricData> originals;
    try (SdkMeterProvider meters =
        SdkMeterProvider.builder()
            .registerMetricReader(reader)
            .registerView(
                InstrumentSelector.builder().setName("size").build(),
                View.builder()
                    .setAggregation(Aggregation.base2ExponentialBucketHistogram())
                    .build())
            .build()) {
      var meter = meters.get("m");
      meter
          .counterBuilder("requests")
          .build()
          .add(5, Attributes.of(AttributeKey.stringKey("r"), "/a"));
      meter.upDownCounterBuilder("queue").ofDoubles().build().add(2.5);
      meter.histogramBuilder("latency").build().record(12.0);
      meter.histogramBuilder("size").build().record(300.0);
      meter.gaugeBuilder("temperature").ofLongs().buildWithCallback(m -> m.record(21));
      originals = reader.collectAllMetrics();
    }
    byte[] payload = bytes(MetricsRequestMarshaler.create(originals));
    InMemoryMetricExporter exporter =
        InMemoryMetricExporter.create(AggregationTemporality.CUMULATIVE);
    MetricExporterSink sink = MetricExporterSink.create(exporter);

    assertTrue(
        sink.accept(
                MetricBatch.of(
                    Payloads.PEER, Payloads.IDENTITY, "", 1, 5, payload, 0, payload.length))
            .isSuccess());

    Map<String, MetricData> got = new HashMap<>();
    exporter.getFinishedMetricItems().forEach(m -> got.put(m.getName(), m));
    for (MetricData original : originals) {
      MetricData copy = got.get(original.getName());
      assertEquals(original.getType(), copy.getType(), original.getName());
      assertEquals(
          original.getData().getPoints().size(), copy.getData().getPoints().size(), copy.getName());
      assertEquals(
          42L,
          copy.getResource().getAttributes().get(AttributeKey.longKey("spantransport.peer.cid")));
    }
    LongPointData requests = got.get("requests").getLongSumData().getPoints().iterator().next();
    assertEquals(5, requests.getValue());
    assertEquals("/a", requests.getAttributes().get(AttributeKey.stringKey("r")));
    assertTrue(got.get("requests").getLongSumData().isMonotonic());
    assertFalse(got.get("queue").getDoubleSumData().isMonotonic());
    HistogramPointData latency =
        got.get("latency").getHistogramData().getPoints().iterator().next();
    assertEquals(1, latency.getCount());
    assertEquals(12.0, latency.getSum());
    assertEquals(MetricDataType.EXPONENTIAL_HISTOGRAM, got.get("size").getType());
    assertEquals(
        1, got.get("size").getExponentialHistogramData().getPoints().iterator().next().getCount());
    assertEquals(
        21, got.get("temperature").getLongGaugeData().getPoints().iterator().next().getValue());
  }

  @Test
  void metricExporterSinkRebuildsSummaryPointsThatOnlyOtherSdksSend() throws Exception {
    byte[] payload = SignalPayloads.metricsOfEveryType().toByteArray();
    InMemoryMetricExporter exporter =
        InMemoryMetricExporter.create(AggregationTemporality.CUMULATIVE);
    assertTrue(
        MetricExporterSink.create(exporter)
            .accept(
                MetricBatch.of(
                    Payloads.PEER, Payloads.IDENTITY, "", 1, 6, payload, 0, payload.length))
            .isSuccess());
    MetricData summary =
        exporter.getFinishedMetricItems().stream()
            .filter(m -> m.getName().equals("gc.pause"))
            .findFirst()
            .orElseThrow();
    SummaryPointData point = summary.getSummaryData().getPoints().iterator().next();
    assertEquals(2, point.getCount());
    assertEquals(0.99, point.getValues().get(0).getQuantile());
    assertEquals(
        6,
        exporter.getFinishedMetricItems().stream()
            .mapToInt(m -> m.getData().getPoints().size())
            .sum());
  }

  @Test
  void anUndecodableLogBatchIsRefusedForGood() {
    byte[] junk = {0x0a, 0x7f, 0x01};
    CompletableResultCode result =
        LogRecordExporterSink.create(InMemoryLogRecordExporter.create())
            .accept(LogBatch.of(Payloads.PEER, Payloads.IDENTITY, "", 1, 1, junk, 0, junk.length));
    assertFalse(result.isSuccess());
    assertInstanceOf(BatchRejectedException.class, result.getFailureThrowable());
  }
}
