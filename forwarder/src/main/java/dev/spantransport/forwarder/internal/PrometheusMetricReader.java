package dev.spantransport.forwarder.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.metrics.data.SumData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads the OpenTelemetry SDK's metrics on each Prometheus scrape and hands them to the Prometheus
 * Java client as snapshots: an OpenTelemetry {@link MetricReader} (cumulative) that is also a
 * Prometheus {@link MultiCollector}. OpenTelemetry's own Prometheus exporter is not served at the
 * SDK version this project uses, so this small mapping stands in for it.
 *
 * <p>Mapping: a monotonic sum becomes a counter, an up-down sum or a gauge a gauge, an
 * explicit-bucket histogram a classic histogram. Names have every character outside {@code
 * [a-zA-Z0-9_:]} replaced by {@code _} (so {@code spantransport.receiver.spans} is scraped as
 * {@code spantransport_receiver_spans_total}), and the unit {@code s} becomes the suffix {@code
 * _seconds}; attributes become labels the same way. Other point types are not produced by the
 * forwarder and are skipped.
 *
 * <p>This class is internal and may change without notice.
 */
public final class PrometheusMetricReader implements MetricReader, MultiCollector {

  private volatile CollectionRegistration registration = CollectionRegistration.noop();

  @Override
  public void register(CollectionRegistration registration) {
    this.registration = Objects.requireNonNull(registration, "registration");
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess(); // pull-based: nothing is buffered
  }

  @Override
  public CompletableResultCode shutdown() {
    registration = CollectionRegistration.noop();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public MetricSnapshots collect() {
    Map<String, MetricSnapshot> byName = new LinkedHashMap<>();
    for (MetricData metric : registration.collectAllMetrics()) {
      MetricSnapshot snapshot = snapshot(metric);
      if (snapshot != null) {
        // Two scopes with one instrument name would collide in Prometheus: the first is kept.
        byName.putIfAbsent(snapshot.getMetadata().getPrometheusName(), snapshot);
      }
    }
    return new MetricSnapshots(byName.values());
  }

  private static MetricSnapshot snapshot(MetricData metric) {
    String name = name(metric.getName(), metric.getUnit());
    String help = metric.getDescription();
    switch (metric.getType()) {
      case LONG_SUM:
      case DOUBLE_SUM:
        {
          SumData<? extends PointData> sum =
              metric.getType() == io.opentelemetry.sdk.metrics.data.MetricDataType.LONG_SUM
                  ? metric.getLongSumData()
                  : metric.getDoubleSumData();
          if (sum.isMonotonic()) {
            CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
            for (PointData p : sum.getPoints()) {
              b.dataPoint(
                  CounterSnapshot.CounterDataPointSnapshot.builder()
                      .value(value(p))
                      .labels(labels(p.getAttributes()))
                      .build());
            }
            return b.build();
          }
          return gauge(name, help, sum.getPoints());
        }
      case LONG_GAUGE:
        return gauge(name, help, metric.getLongGaugeData().getPoints());
      case DOUBLE_GAUGE:
        return gauge(name, help, metric.getDoubleGaugeData().getPoints());
      case HISTOGRAM:
        {
          HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name).help(help);
          for (HistogramPointData p : metric.getHistogramData().getPoints()) {
            List<Double> bounds = new ArrayList<>(p.getBoundaries());
            bounds.add(Double.POSITIVE_INFINITY);
            b.dataPoint(
                HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, p.getCounts()))
                    .sum(p.getSum())
                    .labels(labels(p.getAttributes()))
                    .build());
          }
          return b.build();
        }
      default:
        return null;
    }
  }

  private static GaugeSnapshot gauge(
      String name, String help, Collection<? extends PointData> points) {
    GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
    for (PointData p : points) {
      b.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .value(value(p))
              .labels(labels(p.getAttributes()))
              .build());
    }
    return b.build();
  }

  private static double value(PointData p) {
    if (p instanceof LongPointData l) {
      return l.getValue();
    }
    return ((DoublePointData) p).getValue();
  }

  private static Labels labels(Attributes attributes) {
    if (attributes.isEmpty()) {
      return Labels.EMPTY;
    }
    Map<String, String> labels = new LinkedHashMap<>();
    attributes.forEach((AttributeKey<?> k, Object v) -> labels.put(legal(k.getKey()), "" + v));
    return Labels.of(new ArrayList<>(labels.keySet()), new ArrayList<>(labels.values()));
  }

  /** The Prometheus name: legal characters only, the unit {@code s} as {@code _seconds}. */
  static String name(String otelName, String unit) {
    String name = legal(otelName);
    if ("s".equals(unit) && !name.endsWith("_seconds")) {
      name += "_seconds";
    }
    return name;
  }

  private static String legal(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || c == ':'
              || (i > 0 && c >= '0' && c <= '9');
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "PrometheusMetricReader{}";
  }
}
