package dev.spantransport.vsock.guest;

import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.AutoConfigureListener;
import io.opentelemetry.sdk.autoconfigure.spi.metrics.ConfigurableMetricExporterProvider;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lets OpenTelemetry SDK autoconfiguration (and the Java agent, with this jar as an extension)
 * build a {@link VsockMetricExporter} with {@code otel.metrics.exporter=vsock}. It reads the same
 * {@code otel.exporter.vsock.*} properties as {@link VsockSpanExporterProvider}, and, as OTLP's
 * metric exporter provider does, {@code otel.exporter.otlp.metrics.temporality.preference} ({@code
 * cumulative}, the default, {@code delta} or {@code lowmemory}) and {@code
 * otel.exporter.otlp.metrics.default.histogram.aggregation} ({@code explicit_bucket_histogram}, the
 * default, or {@code base2_exponential_bucket_histogram}). Registered in {@code META-INF/services}.
 */
public final class VsockMetricExporterProvider
    implements ConfigurableMetricExporterProvider, AutoConfigureListener {

  static final String TEMPORALITY = "otel.exporter.otlp.metrics.temporality.preference";
  static final String HISTOGRAM = "otel.exporter.otlp.metrics.default.histogram.aggregation";

  private final AtomicReference<MeterProvider> meterProvider = new AtomicReference<>();

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public VsockMetricExporterProvider() {}

  /**
   * Hands the autoconfigured SDK's meter provider to the exporter this provider built.
   *
   * @param sdk the SDK autoconfiguration built
   */
  @Override
  public void afterAutoConfigure(OpenTelemetrySdk sdk) {
    meterProvider.set(sdk.getMeterProvider());
  }

  /**
   * Returns {@code vsock}, the value of {@code otel.metrics.exporter} that selects this exporter.
   */
  @Override
  public String getName() {
    return "vsock";
  }

  /** Builds the exporter from {@code otel.exporter.vsock.*} and the OTLP metric properties. */
  @Override
  public MetricExporter createExporter(ConfigProperties config) {
    VsockSpanExporterBuilder channel =
        VsockSpanExporterProvider.configure(config, meterProvider::get);
    VsockMetricExporterBuilder builder = new VsockMetricExporterBuilder(channel);
    builder.setAggregationTemporalitySelector(temporality(config.getString(TEMPORALITY)));
    String histogram = config.getString(HISTOGRAM);
    if (histogram != null) {
      builder.setDefaultAggregationSelector(histogram(histogram));
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "Invalid otel.exporter.vsock.* configuration: " + e.getMessage(), e);
    }
  }

  static AggregationTemporalitySelector temporality(String value) {
    if (value == null) {
      return AggregationTemporalitySelector.alwaysCumulative();
    }
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "cumulative":
        return AggregationTemporalitySelector.alwaysCumulative();
      case "delta":
        return AggregationTemporalitySelector.deltaPreferred();
      case "lowmemory":
        return AggregationTemporalitySelector.lowMemory();
      default:
        throw new ConfigurationException(
            TEMPORALITY + " must be cumulative, delta or lowmemory: " + value);
    }
  }

  static DefaultAggregationSelector histogram(String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "explicit_bucket_histogram":
        return DefaultAggregationSelector.getDefault();
      case "base2_exponential_bucket_histogram":
        return DefaultAggregationSelector.getDefault()
            .with(InstrumentType.HISTOGRAM, Aggregation.base2ExponentialBucketHistogram());
      default:
        throw new ConfigurationException(
            HISTOGRAM
                + " must be explicit_bucket_histogram or base2_exponential_bucket_histogram: "
                + value);
    }
  }

  @Override
  public String toString() {
    return "VsockMetricExporterProvider{name=vsock}";
  }
}
