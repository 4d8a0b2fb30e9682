package dev.spantransport.codec;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;

/** OTLP logs and metrics requests for codec tests, built with protobuf-java. */
public final class SignalPayloads {

  private SignalPayloads() {}

  public static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  static Resource resource(KeyValue... attributes) {
    Resource.Builder b = Resource.newBuilder();
    for (KeyValue kv : attributes) {
      b.addAttributes(kv);
    }
    return b.build();
  }

  /** A log record with a body, attributes and trace context. */
  public static LogRecord logRecord(int i, KeyValue... attributes) {
    LogRecord.Builder b =
        LogRecord.newBuilder()
            .setTimeUnixNano(1_700_000_000_000_000_000L + i)
            .setObservedTimeUnixNano(1_700_000_000_000_000_001L + i)
            .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_WARN)
            .setSeverityText("WARN")
            .setBody(AnyValue.newBuilder().setStringValue("log line " + i))
            .setTraceId(ByteString.copyFrom(new byte[16]).concat(ByteString.EMPTY))
            .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) i}))
            .setFlags(1)
            .addAttributes(string("thread", "main"));
    for (KeyValue kv : attributes) {
      b.addAttributes(kv);
    }
    return b.build();
  }

  /** A request of one resource and scope holding {@code records}. */
  public static ExportLogsServiceRequest logsOf(LogRecord... records) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    for (LogRecord record : records) {
      scope.addLogRecords(record);
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(scope))
        .build();
  }

  /** {@code resources} resources with {@code perResource} log records each. */
  public static ExportLogsServiceRequest logs(int resources, int perResource) {
    ExportLogsServiceRequest.Builder request = ExportLogsServiceRequest.newBuilder();
    int n = 0;
    for (int r = 0; r < resources; r++) {
      ScopeLogs.Builder scope =
          ScopeLogs.newBuilder()
              .setScope(InstrumentationScope.newBuilder().setName("app").setVersion("1.0"));
      for (int i = 0; i < perResource; i++) {
        scope.addLogRecords(logRecord(n++));
      }
      request.addResourceLogs(
          ResourceLogs.newBuilder()
              .setResource(resource(string("service.name", "svc" + r)))
              .addScopeLogs(scope));
    }
    return request.build();
  }

  /** One metric of each type: gauge 1, sum 2, histogram 1, exponential histogram 1, summary 1. */
  public static ExportMetricsServiceRequest metricsOfEveryType(KeyValue... pointAttributes) {
    NumberDataPoint.Builder point =
        NumberDataPoint.newBuilder()
            .setTimeUnixNano(2)
            .setStartTimeUnixNano(1)
            .setAsDouble(1.5)
            .addExemplars(
                Exemplar.newBuilder()
                    .setAsInt(3)
                    .setTimeUnixNano(2)
                    .setSpanId(ByteString.copyFrom(new byte[8]))
                    .setTraceId(ByteString.copyFrom(new byte[16])));
    for (KeyValue kv : pointAttributes) {
      point.addAttributes(kv);
    }
    ScopeMetrics scope =
        ScopeMetrics.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("meter"))
            .addMetrics(
                Metric.newBuilder()
                    .setName("queue.depth")
                    .setUnit("1")
                    .setGauge(Gauge.newBuilder().addDataPoints(point)))
            .addMetrics(
                Metric.newBuilder()
                    .setName("requests")
                    .setSum(
                        Sum.newBuilder()
                            .setIsMonotonic(true)
                            .setAggregationTemporality(
                                AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                            .addDataPoints(point.clone().clearAsDouble().setAsInt(7))
                            .addDataPoints(point.clone().setAsInt(8))))
            .addMetrics(
                Metric.newBuilder()
                    .setName("latency")
                    .setHistogram(
                        Histogram.newBuilder()
                            .setAggregationTemporality(
                                AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                            .addDataPoints(
                                HistogramDataPoint.newBuilder()
                                    .setCount(3)
                                    .setSum(6)
                                    .setMin(1)
                                    .setMax(3)
                                    .addBucketCounts(1)
                                    .addBucketCounts(2)
                                    .addExplicitBounds(2.0)
                                    .addAttributes(string("route", "/a")))))
            .addMetrics(
                Metric.newBuilder()
                    .setName("size")
                    .setExponentialHistogram(
                        ExponentialHistogram.newBuilder()
                            .addDataPoints(
                                ExponentialHistogramDataPoint.newBuilder()
                                    .setCount(4)
                                    .setScale(-2)
                                    .setZeroCount(1)
                                    .setPositive(
                                        ExponentialHistogramDataPoint.Buckets.newBuilder()
                                            .setOffset(-3)
                                            .addBucketCounts(2)
                                            .addBucketCounts(300))
                                    .setNegative(
                                        ExponentialHistogramDataPoint.Buckets.newBuilder()
                                            .addBucketCounts(1)))))
            .addMetrics(
                Metric.newBuilder()
                    .setName("gc.pause")
                    .addMetadata(
                        KeyValue.newBuilder()
                            .setKey("nested")
                            .setValue(
                                AnyValue.newBuilder()
                                    .setKvlistValue(
                                        KeyValueList.newBuilder().addValues(string("a", "b")))))
                    .setSummary(
                        Summary.newBuilder()
                            .addDataPoints(
                                SummaryDataPoint.newBuilder()
                                    .setCount(2)
                                    .setSum(0.5)
                                    .addQuantileValues(
                                        SummaryDataPoint.ValueAtQuantile.newBuilder()
                                            .setQuantile(0.99)
                                            .setValue(0.4)))))
            .build();
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(resource(string("service.name", "svc")))
                .addScopeMetrics(scope))
        .build();
  }
}
