package dev.spantransport.sink.internal;

import com.google.protobuf.ByteString;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.logs.data.Body;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.DoubleExemplarData;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongExemplarData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.SummaryPointData;
import io.opentelemetry.sdk.metrics.data.ValueAtQuantile;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableDoubleExemplarData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableDoublePointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramBuckets;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableGaugeData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableHistogramData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableHistogramPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableLongExemplarData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableLongPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableMetricData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableSumData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableSummaryData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableSummaryPointData;
import io.opentelemetry.sdk.metrics.internal.data.ImmutableValueAtQuantile;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns parsed OTLP logs and metrics requests (opentelemetry-proto's generated classes) into the
 * SDK's {@link LogRecordData} and {@link MetricData}, for sinks that hand them to an OpenTelemetry
 * {@code LogRecordExporter} or {@code MetricExporter}. Every resource gets the guest's identity
 * (see {@link GuestResources#tag}).
 *
 * <p>Attribute values that the SDK's attributes cannot hold (maps, byte strings, arrays of mixed or
 * nested values) become their text form; a log body keeps its full structure as a {@link Value}.
 * Ids of the wrong length give an invalid span context, as the SDK's own checks would.
 *
 * <p>This class is internal and may change at any time.
 */
public final class ProtoSignals {

  private static final Severity[] SEVERITIES = new Severity[25];

  static {
    for (Severity s : Severity.values()) {
      int n = s.getSeverityNumber();
      if (n >= 0 && n < SEVERITIES.length) {
        SEVERITIES[n] = s;
      }
    }
  }

  private ProtoSignals() {}

  /** The batch's payload as a buffer of its own, for protobuf-java's {@code parseFrom}. */
  public static java.nio.ByteBuffer payload(dev.spantransport.sink.OtlpBatch batch) {
    return java.nio.ByteBuffer.wrap(batch.buffer(), batch.offset(), batch.length()).slice();
  }

  /** Returns the log records of {@code request}, their resources tagged with {@code identity}. */
  public static List<LogRecordData> logs(ExportLogsServiceRequest request, Attributes identity) {
    List<LogRecordData> out = new ArrayList<>();
    for (ResourceLogs rl : request.getResourceLogsList()) {
      Resource resource = resource(rl.getResource(), rl.getSchemaUrl(), identity);
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        InstrumentationScopeInfo scope = scope(sl.getScope(), sl.getSchemaUrl());
        for (LogRecord r : sl.getLogRecordsList()) {
          out.add(new DecodedLogRecord(resource, scope, r));
        }
      }
    }
    return out;
  }

  /** Returns the metrics of {@code request}, their resources tagged with {@code identity}. */
  public static List<MetricData> metrics(ExportMetricsServiceRequest request, Attributes identity) {
    List<MetricData> out = new ArrayList<>();
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Resource resource = resource(rm.getResource(), rm.getSchemaUrl(), identity);
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        InstrumentationScopeInfo scope = scope(sm.getScope(), sm.getSchemaUrl());
        for (Metric m : sm.getMetricsList()) {
          MetricData data = metric(resource, scope, m);
          if (data != null) {
            out.add(data);
          }
        }
      }
    }
    return out;
  }

  private static Resource resource(
      io.opentelemetry.proto.resource.v1.Resource proto, String schemaUrl, Attributes identity) {
    Attributes attributes = attributes(proto.getAttributesList());
    Resource resource =
        schemaUrl.isEmpty() ? Resource.create(attributes) : Resource.create(attributes, schemaUrl);
    return GuestResources.tag(resource, identity);
  }

  private static InstrumentationScopeInfo scope(InstrumentationScope proto, String schemaUrl) {
    var builder = InstrumentationScopeInfo.builder(proto.getName());
    if (!proto.getVersion().isEmpty()) {
      builder.setVersion(proto.getVersion());
    }
    if (!schemaUrl.isEmpty()) {
      builder.setSchemaUrl(schemaUrl);
    }
    builder.setAttributes(attributes(proto.getAttributesList()));
    return builder.build();
  }

  /** OTLP attributes as SDK attributes; complex values as their text. */
  static Attributes attributes(List<io.opentelemetry.proto.common.v1.KeyValue> list) {
    if (list.isEmpty()) {
      return Attributes.empty();
    }
    AttributesBuilder b = Attributes.builder();
    for (io.opentelemetry.proto.common.v1.KeyValue kv : list) {
      put(b, kv.getKey(), kv.getValue());
    }
    return b.build();
  }

  private static void put(AttributesBuilder b, String key, AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        b.put(AttributeKey.stringKey(key), v.getStringValue());
        return;
      case BOOL_VALUE:
        b.put(AttributeKey.booleanKey(key), v.getBoolValue());
        return;
      case INT_VALUE:
        b.put(AttributeKey.longKey(key), v.getIntValue());
        return;
      case DOUBLE_VALUE:
        b.put(AttributeKey.doubleKey(key), v.getDoubleValue());
        return;
      case ARRAY_VALUE:
        if (putArray(b, key, v.getArrayValue().getValuesList())) {
          return;
        }
        break;
      case VALUE_NOT_SET:
        return;
      default:
        break;
    }
    b.put(AttributeKey.stringKey(key), value(v).asString());
  }

  /** Puts a homogeneous array of primitives; false for anything else. */
  private static boolean putArray(AttributesBuilder b, String key, List<AnyValue> values) {
    if (values.isEmpty()) {
      b.put(AttributeKey.stringArrayKey(key), List.of());
      return true;
    }
    AnyValue.ValueCase kind = values.get(0).getValueCase();
    for (AnyValue v : values) {
      if (v.getValueCase() != kind) {
        return false;
      }
    }
    switch (kind) {
      case STRING_VALUE:
        b.put(
            AttributeKey.stringArrayKey(key),
            values.stream().map(AnyValue::getStringValue).toList());
        return true;
      case BOOL_VALUE:
        b.put(
            AttributeKey.booleanArrayKey(key),
            values.stream().map(AnyValue::getBoolValue).toList());
        return true;
      case INT_VALUE:
        b.put(AttributeKey.longArrayKey(key), values.stream().map(AnyValue::getIntValue).toList());
        return true;
      case DOUBLE_VALUE:
        b.put(
            AttributeKey.doubleArrayKey(key),
            values.stream().map(AnyValue::getDoubleValue).toList());
        return true;
      default:
        return false;
    }
  }

  /** An OTLP value as the API's {@link Value}, structure kept. */
  static Value<?> value(AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        return Value.of(v.getStringValue());
      case BOOL_VALUE:
        return Value.of(v.getBoolValue());
      case INT_VALUE:
        return Value.of(v.getIntValue());
      case DOUBLE_VALUE:
        return Value.of(v.getDoubleValue());
      case BYTES_VALUE:
        return Value.of(v.getBytesValue().toByteArray());
      case ARRAY_VALUE:
        {
          List<Value<?>> values = new ArrayList<>();
          for (AnyValue e : v.getArrayValue().getValuesList()) {
            values.add(value(e));
          }
          return Value.of(values);
        }
      case KVLIST_VALUE:
        {
          List<KeyValue> kvs = new ArrayList<>();
          for (io.opentelemetry.proto.common.v1.KeyValue kv : v.getKvlistValue().getValuesList()) {
            kvs.add(KeyValue.of(kv.getKey(), value(kv.getValue())));
          }
          return Value.of(kvs.toArray(new KeyValue[0]));
        }
      default:
        return Value.of("");
    }
  }

  static SpanContext spanContext(ByteString traceId, ByteString spanId, int flags) {
    if (traceId.size() != 16 || spanId.size() != 8) {
      return SpanContext.getInvalid();
    }
    return SpanContext.create(
        hex(traceId), hex(spanId), TraceFlags.fromByte((byte) flags), TraceState.getDefault());
  }

  private static String hex(ByteString bytes) {
    char[] out = new char[bytes.size() * 2];
    for (int i = 0; i < bytes.size(); i++) {
      int b = bytes.byteAt(i) & 0xff;
      out[2 * i] = Character.forDigit(b >>> 4, 16);
      out[2 * i + 1] = Character.forDigit(b & 0xf, 16);
    }
    return new String(out);
  }

  static Severity severity(int number) {
    return number >= 0 && number < SEVERITIES.length && SEVERITIES[number] != null
        ? SEVERITIES[number]
        : Severity.UNDEFINED_SEVERITY_NUMBER;
  }

  // ------------------------------------------------------------------ metrics

  private static MetricData metric(Resource resource, InstrumentationScopeInfo scope, Metric m) {
    String name = m.getName();
    String description = m.getDescription();
    String unit = m.getUnit();
    switch (m.getDataCase()) {
      case GAUGE:
        {
          List<NumberDataPoint> points = m.getGauge().getDataPointsList();
          if (isLong(points)) {
            return ImmutableMetricData.createLongGauge(
                resource, scope, name, description, unit, ImmutableGaugeData.create(longs(points)));
          }
          return ImmutableMetricData.createDoubleGauge(
              resource, scope, name, description, unit, ImmutableGaugeData.create(doubles(points)));
        }
      case SUM:
        {
          List<NumberDataPoint> points = m.getSum().getDataPointsList();
          boolean monotonic = m.getSum().getIsMonotonic();
          AggregationTemporality t = temporality(m.getSum().getAggregationTemporalityValue());
          if (isLong(points)) {
            return ImmutableMetricData.createLongSum(
                resource,
                scope,
                name,
                description,
                unit,
                ImmutableSumData.create(monotonic, t, longs(points)));
          }
          return ImmutableMetricData.createDoubleSum(
              resource,
              scope,
              name,
              description,
              unit,
              ImmutableSumData.create(monotonic, t, doubles(points)));
        }
      case HISTOGRAM:
        {
          List<HistogramPointData> points = new ArrayList<>();
          for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
            points.add(histogramPoint(p));
          }
          return ImmutableMetricData.createDoubleHistogram(
              resource,
              scope,
              name,
              description,
              unit,
              ImmutableHistogramData.create(
                  temporality(m.getHistogram().getAggregationTemporalityValue()), points));
        }
      case EXPONENTIAL_HISTOGRAM:
        {
          List<ExponentialHistogramPointData> points = new ArrayList<>();
          for (ExponentialHistogramDataPoint p : m.getExponentialHistogram().getDataPointsList()) {
            points.add(exponentialPoint(p));
          }
          return ImmutableMetricData.createExponentialHistogram(
              resource,
              scope,
              name,
              description,
              unit,
              ImmutableExponentialHistogramData.create(
                  temporality(m.getExponentialHistogram().getAggregationTemporalityValue()),
                  points));
        }
      case SUMMARY:
        {
          List<SummaryPointData> points = new ArrayList<>();
          for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
            List<ValueAtQuantile> quantiles = new ArrayList<>();
            for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
              quantiles.add(ImmutableValueAtQuantile.create(q.getQuantile(), q.getValue()));
            }
            points.add(
                ImmutableSummaryPointData.create(
                    p.getStartTimeUnixNano(),
                    p.getTimeUnixNano(),
                    attributes(p.getAttributesList()),
                    p.getCount(),
                    p.getSum(),
                    quantiles));
          }
          return ImmutableMetricData.createDoubleSummary(
              resource, scope, name, description, unit, ImmutableSummaryData.create(points));
        }
      default:
        return null; // a metric without data: nothing to export
    }
  }

  private static AggregationTemporality temporality(int value) {
    return value == 1 ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  }

  private static boolean isLong(List<NumberDataPoint> points) {
    for (NumberDataPoint p : points) {
      if (p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE) {
        return false;
      }
    }
    return true;
  }

  private static List<LongPointData> longs(List<NumberDataPoint> points) {
    List<LongPointData> out = new ArrayList<>(points.size());
    for (NumberDataPoint p : points) {
      List<LongExemplarData> exemplars = new ArrayList<>();
      for (Exemplar e : p.getExemplarsList()) {
        exemplars.add(
            ImmutableLongExemplarData.create(
                attributes(e.getFilteredAttributesList()),
                e.getTimeUnixNano(),
                spanContext(e.getTraceId(), e.getSpanId(), 1),
                e.getValueCase() == Exemplar.ValueCase.AS_DOUBLE
                    ? (long) e.getAsDouble()
                    : e.getAsInt()));
      }
      out.add(
          ImmutableLongPointData.create(
              p.getStartTimeUnixNano(),
              p.getTimeUnixNano(),
              attributes(p.getAttributesList()),
              p.getAsInt(),
              exemplars));
    }
    return out;
  }

  private static List<DoublePointData> doubles(List<NumberDataPoint> points) {
    List<DoublePointData> out = new ArrayList<>(points.size());
    for (NumberDataPoint p : points) {
      double value =
          p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? p.getAsInt() : p.getAsDouble();
      out.add(
          ImmutableDoublePointData.create(
              p.getStartTimeUnixNano(),
              p.getTimeUnixNano(),
              attributes(p.getAttributesList()),
              value,
              doubleExemplars(p.getExemplarsList())));
    }
    return out;
  }

  private static List<DoubleExemplarData> doubleExemplars(List<Exemplar> exemplars) {
    List<DoubleExemplarData> out = new ArrayList<>(exemplars.size());
    for (Exemplar e : exemplars) {
      out.add(
          ImmutableDoubleExemplarData.create(
              attributes(e.getFilteredAttributesList()),
              e.getTimeUnixNano(),
              spanContext(e.getTraceId(), e.getSpanId(), 1),
              e.getValueCase() == Exemplar.ValueCase.AS_INT ? e.getAsInt() : e.getAsDouble()));
    }
    return out;
  }

  private static HistogramPointData histogramPoint(HistogramDataPoint p) {
    List<Double> bounds = p.getExplicitBoundsList();
    List<Long> counts = p.getBucketCountsList();
    if (counts.size() != bounds.size() + 1) {
      // the SDK requires one more count than bounds; a point without buckets has none of either
      counts = new ArrayList<>(counts);
      while (counts.size() < bounds.size() + 1) {
        counts.add(0L);
      }
      while (counts.size() > bounds.size() + 1) {
        counts.remove(counts.size() - 1);
      }
    }
    return ImmutableHistogramPointData.create(
        p.getStartTimeUnixNano(),
        p.getTimeUnixNano(),
        attributes(p.getAttributesList()),
        p.getSum(),
        p.hasMin(),
        p.getMin(),
        p.hasMax(),
        p.getMax(),
        bounds,
        counts,
        doubleExemplars(p.getExemplarsList()));
  }

  private static ExponentialHistogramPointData exponentialPoint(ExponentialHistogramDataPoint p) {
    int scale = p.getScale();
    return ImmutableExponentialHistogramPointData.create(
        scale,
        p.getSum(),
        p.getZeroCount(),
        p.hasMin(),
        p.getMin(),
        p.hasMax(),
        p.getMax(),
        ImmutableExponentialHistogramBuckets.create(
            scale, p.getPositive().getOffset(), p.getPositive().getBucketCountsList()),
        ImmutableExponentialHistogramBuckets.create(
            scale, p.getNegative().getOffset(), p.getNegative().getBucketCountsList()),
        p.getStartTimeUnixNano(),
        p.getTimeUnixNano(),
        attributes(p.getAttributesList()),
        doubleExemplars(p.getExemplarsList()));
  }

  /** One decoded log record; immutable. */
  private static final class DecodedLogRecord implements LogRecordData {
    private final Resource resource;
    private final InstrumentationScopeInfo scope;
    private final long timestamp;
    private final long observed;
    private final SpanContext spanContext;
    private final Severity severity;
    private final String severityText;
    private final Value<?> body;
    private final Attributes attributes;
    private final int totalAttributes;
    private final String eventName;

    DecodedLogRecord(Resource resource, InstrumentationScopeInfo scope, LogRecord r) {
      this.resource = resource;
      this.scope = scope;
      this.timestamp = r.getTimeUnixNano();
      this.observed = r.getObservedTimeUnixNano();
      this.spanContext = spanContext(r.getTraceId(), r.getSpanId(), r.getFlags() & 0xff);
      this.severity = severity(r.getSeverityNumberValue());
      this.severityText = r.getSeverityText().isEmpty() ? null : r.getSeverityText();
      this.body = r.hasBody() ? value(r.getBody()) : null;
      this.attributes = attributes(r.getAttributesList());
      this.totalAttributes = attributes.size() + r.getDroppedAttributesCount();
      this.eventName = r.getEventName().isEmpty() ? null : r.getEventName();
    }

    @Override
    public Resource getResource() {
      return resource;
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return scope;
    }

    @Override
    public long getTimestampEpochNanos() {
      return timestamp;
    }

    @Override
    public long getObservedTimestampEpochNanos() {
      return observed;
    }

    @Override
    public SpanContext getSpanContext() {
      return spanContext;
    }

    @Override
    public Severity getSeverity() {
      return severity;
    }

    @Override
    public String getSeverityText() {
      return severityText;
    }

    @Override
    @SuppressWarnings("deprecation") // the SDK's exporters still read the Body form too
    public Body getBody() {
      return body == null ? Body.empty() : Body.string(body.asString());
    }

    @Override
    public Value<?> getBodyValue() {
      return body;
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }

    @Override
    public int getTotalAttributeCount() {
      return totalAttributes;
    }

    @Override
    public String getEventName() {
      return eventName;
    }

    @Override
    public String toString() {
      return "DecodedLogRecord{severity="
          + severity
          + ", body="
          + body
          + ", spanContext="
          + spanContext
          + ", attributes="
          + attributes
          + "}";
    }
  }

  /** Returns the number of points of {@code metric}; for counting. */
  public static int points(MetricData metric) {
    return metric.getData().getPoints().size();
  }
}
