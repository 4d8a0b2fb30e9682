package dev.spantransport.vsock.guest;

import dev.spantransport.spi.Signal;
import dev.spantransport.vsock.guest.internal.ExporterMetrics;
import dev.spantransport.vsock.guest.internal.SignalExporter;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.util.Collection;

/**
 * Sends metrics from a VM guest to its host with the span-transport protocol, as METRICS frames (an
 * OTLP {@code ExportMetricsServiceRequest} each), for a periodic metric reader.
 *
 * <p>It shares one connection, session and in-flight window with a {@link VsockSpanExporter} and a
 * {@link VsockLogRecordExporter} of the same process and endpoint (see there). Temporality and
 * default aggregation are chosen as OpenTelemetry's OTLP metric exporters choose them: cumulative
 * by default, or as {@link VsockMetricExporterBuilder#setAggregationTemporalitySelector} says. A
 * host that did not accept metrics in its hello never gets METRICS frames: the exporter drops those
 * batches, counts them ({@code spantransport.exporter.metric_points.dropped}, reason {@code
 * not_negotiated}) and logs it. A metric whose points alone exceed the host's items per frame is
 * dropped and counted.
 *
 * @since 0.2.0
 */
public final class VsockMetricExporter implements MetricExporter {

  private final VsockMetricExporterBuilder config;
  private final SignalExporter<MetricData> exporter;

  VsockMetricExporter(VsockMetricExporterBuilder config) {
    this.config = config;
    VsockSpanExporterBuilder channel = config.channel;
    this.exporter =
        new SignalExporter<>(
            Signal.METRICS,
            channel.enabled,
            channel.channelKey(),
            () -> VsockSpanExporter.openChannel(channel, channel.opener()),
            channel.meterProviderSource(),
            MetricsRequestMarshaler::create,
            metric -> metric.getData().getPoints().size());
  }

  /** Returns a builder with the defaults (endpoint {@code vsock://2:10240}, cumulative). */
  public static VsockMetricExporterBuilder builder() {
    return new VsockMetricExporterBuilder();
  }

  /** Returns a builder with this exporter's configuration. */
  public VsockMetricExporterBuilder toBuilder() {
    return new VsockMetricExporterBuilder(config);
  }

  /** Returns the temporality the configured selector chooses for {@code instrumentType}. */
  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return config.temporality.getAggregationTemporality(instrumentType);
  }

  /** Returns the default aggregation the configured selector chooses for {@code instrumentType}. */
  @Override
  public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
    return config.aggregation.getDefaultAggregation(instrumentType);
  }

  /**
   * Puts {@code metrics} into the shared in-flight window and returns at once: success when all of
   * them are in it, failure when some were dropped (window full, too large) or after shutdown.
   */
  @Override
  public CompletableResultCode export(Collection<MetricData> metrics) {
    return exporter.export(metrics);
  }

  /**
   * Returns a result that succeeds when the host acknowledged every batch in the shared window, or
   * fails at the export timeout. Fails at once after shutdown.
   */
  @Override
  public CompletableResultCode flush() {
    return exporter.flush();
  }

  /**
   * Starts shutting down and returns at once: flushes with the export timeout as deadline; the last
   * exporter of the shared connection also closes it and drops (counting) what is left. A second
   * call logs and succeeds.
   */
  @Override
  public CompletableResultCode shutdown() {
    return exporter.shutdown();
  }

  /** Returns what the shared connection is doing now; {@code DISABLED} when built disabled. */
  public ExporterState state() {
    return exporter.state();
  }

  /** Returns this exporter's counters; for tests. */
  ExporterMetrics metrics() {
    return exporter.metrics();
  }

  /** Returns the shared machinery; for tests. */
  SignalExporter<MetricData> signalExporter() {
    return exporter;
  }

  @Override
  public String toString() {
    return "VsockMetricExporter"
        + config.channel.toString(false)
        + "{temporality="
        + AggregationTemporalitySelector.asString(config.temporality)
        + ", aggregation="
        + DefaultAggregationSelector.asString(config.aggregation)
        + "}";
  }
}
