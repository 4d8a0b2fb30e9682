package dev.spantransport.vsock.guest;

import static java.util.Objects.requireNonNull;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.vsock.guest.internal.ChannelOpener;
import io.opentelemetry.api.metrics.MeterProvider;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Builds a {@link VsockLogRecordExporter}. The connection settings only take effect when this
 * exporter is the first of its process to open the endpoint's shared connection; otherwise the
 * connection of the {@link VsockSpanExporter} (or metric exporter) built before is used as it is.
 * Connection tuning beyond these setters (window, backoff) comes from {@code otel.exporter.vsock.*}
 * under autoconfiguration, or from the span exporter sharing the connection.
 */
public final class VsockLogRecordExporterBuilder {

  final VsockSpanExporterBuilder channel;

  VsockLogRecordExporterBuilder() {
    this.channel = new VsockSpanExporterBuilder();
  }

  VsockLogRecordExporterBuilder(VsockLogRecordExporterBuilder other) {
    this.channel = new VsockSpanExporterBuilder(other.channel);
  }

  /** Uses the connection settings of {@code channel} (the provider reads them from properties). */
  VsockLogRecordExporterBuilder(VsockSpanExporterBuilder channel) {
    this.channel = new VsockSpanExporterBuilder(channel);
  }

  /**
   * Sets the host endpoint, e.g. {@code vsock://2:10240} (default), {@code unix:/run/st.sock}.
   *
   * @throws IllegalArgumentException if it cannot be parsed
   */
  public VsockLogRecordExporterBuilder setEndpoint(String endpoint) {
    channel.setEndpoint(requireNonNull(endpoint, "endpoint"));
    return this;
  }

  /** Sets the host endpoint. */
  public VsockLogRecordExporterBuilder setEndpoint(Endpoint endpoint) {
    channel.setEndpoint(requireNonNull(endpoint, "endpoint"));
    return this;
  }

  /** Sets how long one connection attempt may take; must be positive. Default 10 s. */
  public VsockLogRecordExporterBuilder setConnectTimeout(Duration connectTimeout) {
    channel.setConnectTimeout(requireNonNull(connectTimeout, "connectTimeout"));
    return this;
  }

  /** Sets the export timeout (flush deadline); must be positive. Default 10 s. */
  public VsockLogRecordExporterBuilder setTimeout(Duration timeout) {
    channel.setTimeout(requireNonNull(timeout, "timeout"));
    return this;
  }

  /**
   * Sets the {@link MeterProvider} for the exporter's counters ({@code
   * spantransport.exporter.log_records.*}). Default: none.
   */
  public VsockLogRecordExporterBuilder setMeterProvider(MeterProvider meterProvider) {
    channel.setMeterProvider(requireNonNull(meterProvider, "meterProvider"));
    return this;
  }

  /** Sets where the {@link MeterProvider} comes from once it exists (autoconfiguration). */
  public VsockLogRecordExporterBuilder setMeterProvider(Supplier<MeterProvider> supplier) {
    channel.setMeterProvider(requireNonNull(supplier, "supplier"));
    return this;
  }

  /**
   * Sets whether the exporter sends at all; disabled, it opens nothing and drops (counting) every
   * log record. Default true.
   */
  public VsockLogRecordExporterBuilder setEnabled(boolean enabled) {
    channel.setEnabled(enabled);
    return this;
  }

  /** Test seam: opens connections instead of the endpoint's {@code SpanTransport}. */
  VsockLogRecordExporterBuilder setChannelOpener(ChannelOpener opener) {
    channel.setChannelOpener(opener);
    return this;
  }

  /**
   * Builds the exporter; it joins the endpoint's shared connection or opens it.
   *
   * @throws IllegalArgumentException if no {@code SpanTransport} supports the endpoint
   */
  public VsockLogRecordExporter build() {
    return new VsockLogRecordExporter(new VsockLogRecordExporterBuilder(this));
  }

  @Override
  public String toString() {
    return "VsockLogRecordExporterBuilder" + channel.toString(false);
  }
}
