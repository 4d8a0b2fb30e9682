package dev.spantransport.vsock.guest;

import static java.util.Objects.requireNonNull;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.vsock.guest.internal.ChannelOpener;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Builds a {@link VsockMetricExporter}. The connection settings only take effect when this exporter
 * is the first of its process to open the endpoint's shared connection; otherwise the connection of
 * the {@link VsockSpanExporter} (or metric exporter) built before is used as it is. Connection
 * tuning beyond these setters (window, backoff) comes from {@code otel.exporter.vsock.*} under
 * autoconfiguration, or from the span exporter sharing the connection.
 */
public final class VsockMetricExporterBuilder {

  final VsockSpanExporterBuilder channel;
  AggregationTemporalitySelector temporality = AggregationTemporalitySelector.alwaysCumulative();
  DefaultAggregationSelector aggregation = DefaultAggregationSelector.getDefault();

  VsockMetricExporterBuilder() {
    this.channel = new VsockSpanExporterBuilder();
  }

  VsockMetricExporterBuilder(VsockMetricExporterBuilder other) {
    this.channel = new VsockSpanExporterBuilder(other.channel);
    this.temporality = other.temporality;
    this.aggregation = other.aggregation;
  }

  /** Uses the connection settings of {@code channel} (the provider reads them from properties). */
  VsockMetricExporterBuilder(VsockSpanExporterBuilder channel) {
    this.channel = new VsockSpanExporterBuilder(channel);
  }

  /**
   * Sets the host endpoint, e.g. {@code vsock://2:10240} (default), {@code unix:/run/st.sock}.
   *
   * @throws IllegalArgumentException if it cannot be parsed
   */
  public VsockMetricExporterBuilder setEndpoint(String endpoint) {
    channel.setEndpoint(requireNonNull(endpoint, "endpoint"));
    return this;
  }

  /** Sets the host endpoint. */
  public VsockMetricExporterBuilder setEndpoint(Endpoint endpoint) {
    channel.setEndpoint(requireNonNull(endpoint, "endpoint"));
    return this;
  }

  /** Sets how long one connection attempt may take; must be positive. Default 10 s. */
  public VsockMetricExporterBuilder setConnectTimeout(Duration connectTimeout) {
    channel.setConnectTimeout(requireNonNull(connectTimeout, "connectTimeout"));
    return this;
  }

  /** Sets the export timeout (flush deadline); must be positive. Default 10 s. */
  public VsockMetricExporterBuilder setTimeout(Duration timeout) {
    channel.setTimeout(requireNonNull(timeout, "timeout"));
    return this;
  }

  /**
   * Sets the {@link MeterProvider} for the exporter's counters ({@code
   * spantransport.exporter.metric_points.*}). Default: none.
   */
  public VsockMetricExporterBuilder setMeterProvider(MeterProvider meterProvider) {
    channel.setMeterProvider(requireNonNull(meterProvider, "meterProvider"));
    return this;
  }

  /** Sets where the {@link MeterProvider} comes from once it exists (autoconfiguration). */
  public VsockMetricExporterBuilder setMeterProvider(Supplier<MeterProvider> supplier) {
    channel.setMeterProvider(requireNonNull(supplier, "supplier"));
    return this;
  }

  /**
   * Sets whether the exporter sends at all; disabled, it opens nothing and drops (counting) every
   * data point. Default true.
   */
  public VsockMetricExporterBuilder setEnabled(boolean enabled) {
    channel.setEnabled(enabled);
    return this;
  }

  /**
   * Sets which aggregation temporality the SDK's metric reader asks of this exporter per instrument
   * type, as OTLP's exporters do: {@link AggregationTemporalitySelector#alwaysCumulative()} (the
   * default), {@link AggregationTemporalitySelector#deltaPreferred()} or {@link
   * AggregationTemporalitySelector#lowMemory()}.
   */
  public VsockMetricExporterBuilder setAggregationTemporalitySelector(
      AggregationTemporalitySelector selector) {
    this.temporality = requireNonNull(selector, "selector");
    return this;
  }

  /**
   * Sets the default aggregation per instrument type, e.g. base-2 exponential histograms for
   * histograms. Default {@link DefaultAggregationSelector#getDefault()}.
   */
  public VsockMetricExporterBuilder setDefaultAggregationSelector(
      DefaultAggregationSelector selector) {
    this.aggregation = requireNonNull(selector, "selector");
    return this;
  }

  /** Test seam: opens connections instead of the endpoint's {@code SpanTransport}. */
  VsockMetricExporterBuilder setChannelOpener(ChannelOpener opener) {
    channel.setChannelOpener(opener);
    return this;
  }

  /**
   * Builds the exporter; it joins the endpoint's shared connection or opens it.
   *
   * @throws IllegalArgumentException if no {@code SpanTransport} supports the endpoint
   */
  public VsockMetricExporter build() {
    return new VsockMetricExporter(new VsockMetricExporterBuilder(this));
  }

  @Override
  public String toString() {
    return "VsockMetricExporterBuilder"
        + channel.toString(false)
        + "{temporality="
        + AggregationTemporalitySelector.asString(temporality)
        + ", aggregation="
        + DefaultAggregationSelector.asString(aggregation)
        + "}";
  }
}
