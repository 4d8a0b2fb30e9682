package dev.spantransport.vsock.guest;

import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.AutoConfigureListener;
import io.opentelemetry.sdk.autoconfigure.spi.logs.ConfigurableLogRecordExporterProvider;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lets OpenTelemetry SDK autoconfiguration (and the Java agent, with this jar as an extension)
 * build a {@link VsockLogRecordExporter} with {@code otel.logs.exporter=vsock}. It reads the same
 * {@code otel.exporter.vsock.*} properties as {@link VsockSpanExporterProvider} (endpoint,
 * timeouts, window, enabled); the log records share the span exporter's connection when both are
 * configured. Registered in {@code META-INF/services}.
 */
public final class VsockLogRecordExporterProvider
    implements ConfigurableLogRecordExporterProvider, AutoConfigureListener {

  private final AtomicReference<MeterProvider> meterProvider = new AtomicReference<>();

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public VsockLogRecordExporterProvider() {}

  /**
   * Hands the autoconfigured SDK's meter provider to the exporter this provider built.
   *
   * @param sdk the SDK autoconfiguration built
   */
  @Override
  public void afterAutoConfigure(OpenTelemetrySdk sdk) {
    meterProvider.set(sdk.getMeterProvider());
  }

  /** Returns {@code vsock}, the value of {@code otel.logs.exporter} that selects this exporter. */
  @Override
  public String getName() {
    return "vsock";
  }

  /** Builds the exporter from {@code otel.exporter.vsock.*} properties. */
  @Override
  public LogRecordExporter createExporter(ConfigProperties config) {
    VsockSpanExporterBuilder channel =
        VsockSpanExporterProvider.configure(config, meterProvider::get);
    try {
      return new VsockLogRecordExporterBuilder(channel).build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "Invalid otel.exporter.vsock.* configuration: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "VsockLogRecordExporterProvider{name=vsock}";
  }
}
