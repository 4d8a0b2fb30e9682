package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpResourceRewriter;
import dev.spantransport.codec.internal.OtlpSignalCounter;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
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
import java.util.Arrays;

/**
 * Fuzzes the receiver's one-pass validator for OTLP logs and metrics ({@link OtlpSignalCounter})
 * and the passthrough's resource rewrite of those requests. The fuzzer picks a signal and either
 * raw bytes or a valid request (every metric type, nested values, ids) that it then mutates. Only
 * {@link MalformedPayloadException} may escape; an accepted input that protobuf-java parses holds
 * exactly the counted items; the item limit is honoured; an accepted input rewrites to what its
 * announced length says, and protobuf-java parses the output (with the identity on every resource)
 * whenever it parsed the input.
 */
class OtlpSignalCounterFuzzTest {

  private static final Attributes IDENTITY =
      Attributes.of(AttributeKey.longKey("spantransport.peer.cid"), 3L);
  private static final OtlpResourceRewriter REWRITER =
      new OtlpResourceRewriter(IDENTITY, key -> key.startsWith("spantransport.peer."));
  private static final byte[] LOGS = logs().toByteArray();
  private static final byte[] METRICS = metrics().toByteArray();

  @FuzzTest(maxDuration = "30s")
  void countOnlyAcceptsWhatProtobufCountsAlike(FuzzedDataProvider data) throws Exception {
    Signal signal = data.consumeBoolean() ? Signal.LOGS : Signal.METRICS;
    int maxItems = data.consumeInt(1, 64);
    byte[] payload;
    if (data.consumeBoolean()) {
      payload = data.consumeRemainingAsBytes();
    } else {
      payload = (signal == Signal.LOGS ? LOGS : METRICS).clone();
      int edits = data.consumeInt(0, 8);
      for (int i = 0; i < edits && payload.length > 0; i++) {
        int at = data.consumeInt(0, payload.length - 1);
        switch (data.consumeInt(0, 2)) {
          case 0:
            payload[at] = data.consumeByte();
            break;
          case 1:
            payload = Arrays.copyOf(payload, at);
            break;
          default:
            byte[] grown = new byte[payload.length + 1];
            System.arraycopy(payload, 0, grown, 0, at);
            grown[at] = data.consumeByte();
            System.arraycopy(payload, at, grown, at + 1, payload.length - at);
            payload = grown;
        }
      }
    }
    check(signal, payload, maxItems);
  }

  static void check(Signal signal, byte[] payload, int maxItems) throws Exception {
    OtlpSignalCounter unlimited = new OtlpSignalCounter(Integer.MAX_VALUE);
    int items;
    try {
      items = unlimited.count(signal, payload, 0, payload.length);
    } catch (MalformedPayloadException e) {
      assertTrue(!unlimited.overLimit(), "no limit to be over");
      try {
        REWRITER.rewrittenLength(signal, payload, 0, payload.length);
        throw new AssertionError("the rewriter accepted what the counter rejected", e);
      } catch (MalformedPayloadException expected) {
        return;
      }
    }
    OtlpSignalCounter limited = new OtlpSignalCounter(maxItems);
    try {
      assertEquals(items, limited.count(signal, payload, 0, payload.length));
      assertTrue(items <= maxItems, "accepted more items than the limit");
    } catch (MalformedPayloadException e) {
      assertTrue(items > maxItems && limited.overLimit(), "only the limit may differ: " + e);
    }
    Integer parsed = protobufItems(signal, payload);
    if (parsed != null) {
      assertEquals(parsed.intValue(), items, "items counted as protobuf-java counts them");
    }
    int length = REWRITER.rewrittenLength(signal, payload, 0, payload.length);
    byte[] out = new byte[length];
    assertEquals(length, REWRITER.rewrite(signal, payload, 0, payload.length, out, 0));
    assertEquals(items, unlimited.count(signal, out, 0, out.length), "items kept by the rewrite");
    if (parsed != null) {
      Integer after = protobufItems(signal, out);
      assertEquals(parsed, after, "protobuf-java parses the rewritten request");
    }
  }

  /** The items protobuf-java finds, or null if it cannot parse the bytes. */
  private static Integer protobufItems(Signal signal, byte[] bytes) {
    try {
      int n = 0;
      if (signal == Signal.LOGS) {
        for (ResourceLogs r : ExportLogsServiceRequest.parseFrom(bytes).getResourceLogsList()) {
          for (ScopeLogs s : r.getScopeLogsList()) {
            n += s.getLogRecordsCount();
          }
        }
        return n;
      }
      for (ResourceMetrics r :
          ExportMetricsServiceRequest.parseFrom(bytes).getResourceMetricsList()) {
        for (ScopeMetrics s : r.getScopeMetricsList()) {
          for (Metric m : s.getMetricsList()) {
            n +=
                m.getGauge().getDataPointsCount()
                    + m.getSum().getDataPointsCount()
                    + m.getHistogram().getDataPointsCount()
                    + m.getExponentialHistogram().getDataPointsCount()
                    + m.getSummary().getDataPointsCount();
          }
        }
      }
      return n;
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  private static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  private static AnyValue text(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  static ExportLogsServiceRequest logs() {
    AnyValue nested =
        AnyValue.newBuilder()
            .setKvlistValue(
                KeyValueList.newBuilder()
                    .addValues(kv("spantransport.peer.uid", text("0")))
                    .addValues(
                        kv(
                            "list",
                            AnyValue.newBuilder()
                                .setArrayValue(
                                    ArrayValue.newBuilder()
                                        .addValues(AnyValue.newBuilder().setIntValue(7))
                                        .addValues(AnyValue.newBuilder().setDoubleValue(1.5)))
                                .build())))
            .build();
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(
            ResourceLogs.newBuilder()
                .setResource(
                    Resource.newBuilder()
                        .addAttributes(kv("service.name", text("fuzz")))
                        .addAttributes(kv("spantransport.peer.cid", text("666"))))
                .addScopeLogs(
                    ScopeLogs.newBuilder()
                        .addLogRecords(
                            LogRecord.newBuilder()
                                .setTimeUnixNano(1)
                                .setSeverityNumberValue(13)
                                .setBody(nested)
                                .setTraceId(ByteString.copyFrom(new byte[16]))
                                .setSpanId(ByteString.copyFrom(new byte[8]))
                                .setFlags(1)
                                .addAttributes(kv("k", text("v"))))
                        .addLogRecords(LogRecord.newBuilder().setBody(text("second")))))
        .build();
  }

  static ExportMetricsServiceRequest metrics() {
    NumberDataPoint point =
        NumberDataPoint.newBuilder()
            .setAsInt(3)
            .addAttributes(kv("route", text("/a")))
            .addExemplars(
                Exemplar.newBuilder()
                    .setAsDouble(1)
                    .setSpanId(ByteString.copyFrom(new byte[8]))
                    .setTraceId(ByteString.copyFrom(new byte[16])))
            .build();
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(kv("service.name", text("fuzz"))))
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("g")
                                .setGauge(Gauge.newBuilder().addDataPoints(point)))
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("s")
                                .setSum(Sum.newBuilder().setIsMonotonic(true).addDataPoints(point)))
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("h")
                                .setHistogram(
                                    Histogram.newBuilder()
                                        .addDataPoints(
                                            HistogramDataPoint.newBuilder()
                                                .setCount(2)
                                                .addBucketCounts(1)
                                                .addBucketCounts(1)
                                                .addExplicitBounds(5))))
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("e")
                                .setExponentialHistogram(
                                    ExponentialHistogram.newBuilder()
                                        .addDataPoints(
                                            ExponentialHistogramDataPoint.newBuilder()
                                                .setScale(2)
                                                .setPositive(
                                                    ExponentialHistogramDataPoint.Buckets
                                                        .newBuilder()
                                                        .setOffset(-1)
                                                        .addBucketCounts(4)))))
                        .addMetrics(
                            Metric.newBuilder()
                                .setName("q")
                                .addMetadata(kv("spantransport.peer.pid", text("1")))
                                .setSummary(
                                    Summary.newBuilder()
                                        .addDataPoints(
                                            SummaryDataPoint.newBuilder()
                                                .setCount(1)
                                                .addQuantileValues(
                                                    SummaryDataPoint.ValueAtQuantile.newBuilder()
                                                        .setQuantile(0.5)
                                                        .setValue(2)))))))
        .build();
  }
}
