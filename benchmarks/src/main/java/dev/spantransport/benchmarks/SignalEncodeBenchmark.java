package dev.spantransport.benchmarks;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.logs.LowAllocationLogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.LowAllocationMetricsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding one batch of log records or metrics as the guest's {@code VsockLogRecordExporter} and
 * {@code VsockMetricExporter} do: OpenTelemetry's request marshaler sizes the OTLP request, then
 * writes it into a reused buffer. Score is batches per second: items per second = score x batchSize
 * (log records; for metrics, each metric has one point).
 *
 * <ul>
 *   <li>{@code otel-marshaler}: {@code LogsRequestMarshaler.create} / {@code
 *       MetricsRequestMarshaler.create} + writeBinaryTo, what the exporters use.
 *   <li>{@code otel-low-allocation}: the reusable low-allocation marshalers, for comparison.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SignalEncodeBenchmark {

  @Param({"logs", "metrics"})
  public String signal;

  @Param({"otel-marshaler", "otel-low-allocation"})
  public String encoder;

  @Param({"64", "512"})
  public int batchSize;

  private List<LogRecordData> logs;
  private List<MetricData> metrics;
  private LowAllocationLogsRequestMarshaler lowLogs;
  private LowAllocationMetricsRequestMarshaler lowMetrics;
  private ReusableOutputStream stream;

  @Setup
  public void setUp() throws IOException {
    logs = logRecords(batchSize);
    metrics = metrics(batchSize);
    lowLogs = new LowAllocationLogsRequestMarshaler();
    lowMetrics = new LowAllocationMetricsRequestMarshaler();
    stream = new ReusableOutputStream(1 << 20);
    if (encode() <= 0) {
      throw new IllegalStateException(signal + "/" + encoder + " wrote nothing");
    }
  }

  /** Sizes and writes one request; returns its length. */
  @Benchmark
  public int encode() throws IOException {
    stream.reset();
    if ("logs".equals(signal)) {
      if ("otel-marshaler".equals(encoder)) {
        return write(LogsRequestMarshaler.create(logs));
      }
      lowLogs.initialize(logs);
      try {
        return write(lowLogs);
      } finally {
        lowLogs.reset();
      }
    }
    if ("otel-marshaler".equals(encoder)) {
      return write(MetricsRequestMarshaler.create(metrics));
    }
    lowMetrics.initialize(metrics);
    try {
      return write(lowMetrics);
    } finally {
      lowMetrics.reset();
    }
  }

  private int write(Marshaler marshaler) throws IOException {
    int size = marshaler.getBinarySerializedSize();
    marshaler.writeBinaryTo(stream);
    return size;
  }

  /** Log records as an application logs them: body, severity, three attributes, trace context. */
  static List<LogRecordData> logRecords(int count) {
    List<LogRecordData> out = new ArrayList<>(count);
    LogRecordExporter collect =
        new LogRecordExporter() {
          @Override
          public CompletableResultCode export(Collection<LogRecordData> logs) {
            out.addAll(logs);
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    try (SdkLoggerProvider provider =
        SdkLoggerProvider.builder()
            .setResource(
                Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "bench")))
            .addLogRecordProcessor(SimpleLogRecordProcessor.create(collect))
            .build()) {
      Logger logger = provider.get("bench");
      for (int i = 0; i < count; i++) {
        logger
            .logRecordBuilder()
            .setSeverity(Severity.INFO)
            .setSeverityText("INFO")
            .setBody("request " + i + " served from cache in 3 ms")
            .setAttribute(AttributeKey.stringKey("http.route"), "/api/items/{id}")
            .setAttribute(AttributeKey.longKey("http.status_code"), 200L)
            .setAttribute(AttributeKey.stringKey("thread.name"), "worker-" + (i % 8))
            .emit();
      }
    }
    return out;
  }

  /** {@code count} metrics with one point each: counters and histograms, half and half. */
  static List<MetricData> metrics(int count) {
    List<MetricData> out = new ArrayList<>();
    MetricExporter collect =
        new MetricExporter() {
          @Override
          public AggregationTemporality getAggregationTemporality(InstrumentType type) {
            return AggregationTemporality.CUMULATIVE;
          }

          @Override
          public CompletableResultCode export(Collection<MetricData> metrics) {
            out.addAll(metrics);
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    try (SdkMeterProvider provider =
        SdkMeterProvider.builder()
            .registerMetricReader(PeriodicMetricReader.create(collect))
            .build()) {
      Meter meter = provider.get("bench");
      for (int i = 0; i < count; i++) {
        if (i % 2 == 0) {
          LongCounter c = meter.counterBuilder("requests." + i).build();
          c.add(i + 1, Attributes.of(AttributeKey.stringKey("route"), "/api"));
        } else {
          DoubleHistogram h = meter.histogramBuilder("latency." + i).build();
          h.record(i * 0.5, Attributes.of(AttributeKey.stringKey("route"), "/api"));
        }
      }
      provider.forceFlush().join(10, TimeUnit.SECONDS);
      return new ArrayList<>(out); // closing the provider exports once more
    }
  }
}
