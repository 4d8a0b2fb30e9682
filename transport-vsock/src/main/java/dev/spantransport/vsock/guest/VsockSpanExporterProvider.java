package dev.spantransport.vsock.guest;

import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.AutoConfigureListener;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Lets SDK autoconfiguration (and the OpenTelemetry Java agent) build a {@link VsockSpanExporter}
 * with {@code otel.traces.exporter=vsock}. Properties, all optional:
 *
 * <ul>
 *   <li>{@code otel.exporter.vsock.endpoint}: e.g. {@code vsock://2:10240} (default), {@code
 *       unix:/run/spans.sock}
 *   <li>{@code otel.exporter.vsock.connect.timeout}: duration, e.g. {@code 10s}
 *   <li>{@code otel.exporter.vsock.timeout}: export timeout (acknowledgement, flush), e.g. {@code
 *       10s}
 *   <li>{@code otel.exporter.vsock.max.inflight.bytes}: bytes, e.g. {@code 8388608}
 *   <li>{@code otel.exporter.vsock.max.inflight.batches}: e.g. {@code 128}
 *   <li>{@code otel.exporter.vsock.full.policy}: {@code drop_newest} (default) or {@code
 *       drop_oldest}
 *   <li>{@code otel.exporter.vsock.reconnect.initial}, {@code otel.exporter.vsock.reconnect.max}:
 *       durations
 *   <li>{@code otel.exporter.vsock.reconnect.jitter}: fraction between 0 and 1
 *   <li>{@code otel.exporter.vsock.max.resends}: sends of one batch after the first before it is
 *       dropped, e.g. {@code 16}
 * </ul>
 *
 * A bad value throws {@link ConfigurationException} naming the property and the value.
 *
 * <p>Self-metrics go to the autoconfigured SDK's meter provider. Autoconfiguration builds exporters
 * before that provider, so the exporter gets a supplier that this provider fills in when the SDK is
 * ready ({@link #afterAutoConfigure}); nothing is recorded to instruments before then.
 */
public final class VsockSpanExporterProvider
    implements ConfigurableSpanExporterProvider, AutoConfigureListener {

  static final String PREFIX = "otel.exporter.vsock.";

  private final AtomicReference<MeterProvider> meterProvider = new AtomicReference<>();

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public VsockSpanExporterProvider() {}

  /**
   * Hands the autoconfigured SDK's meter provider to the exporters this provider built.
   *
   * @param sdk the SDK autoconfiguration built
   */
  @Override
  public void afterAutoConfigure(OpenTelemetrySdk sdk) {
    meterProvider.set(sdk.getMeterProvider());
  }

  /**
   * Returns {@code vsock}, the value of {@code otel.traces.exporter} that selects this exporter.
   */
  @Override
  public String getName() {
    return "vsock";
  }

  /** Builds the exporter from {@code otel.exporter.vsock.*} properties. */
  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    VsockSpanExporterBuilder builder =
        VsockSpanExporter.builder().setMeterProvider(meterProvider::get);
    String endpoint = config.getString(PREFIX + "endpoint");
    if (endpoint != null) {
      apply("endpoint", endpoint, builder::setEndpoint);
    }
    duration(config, "connect.timeout", builder::setConnectTimeout);
    duration(config, "timeout", builder::setTimeout);
    Long bytes = config.getLong(PREFIX + "max.inflight.bytes");
    if (bytes != null) {
      apply("max.inflight.bytes", bytes, builder::setMaxInflightBytes);
    }
    Integer batches = config.getInt(PREFIX + "max.inflight.batches");
    if (batches != null) {
      apply("max.inflight.batches", batches, builder::setMaxInflightBatches);
    }
    String policy = config.getString(PREFIX + "full.policy");
    if (policy != null) {
      builder.setFullBufferPolicy(policy(policy));
    }
    duration(config, "reconnect.initial", builder::setReconnectInitialBackoff);
    duration(config, "reconnect.max", builder::setReconnectMaxBackoff);
    Double jitter = config.getDouble(PREFIX + "reconnect.jitter");
    if (jitter != null) {
      apply("reconnect.jitter", jitter, builder::setReconnectJitter);
    }
    Integer resends = config.getInt(PREFIX + "max.resends");
    if (resends != null) {
      apply("max.resends", resends, builder::setMaxResends);
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "Invalid otel.exporter.vsock.* configuration: " + e.getMessage(), e);
    }
  }

  private static void duration(ConfigProperties config, String name, Consumer<Duration> setter) {
    Duration value = config.getDuration(PREFIX + name);
    if (value != null) {
      apply(name, value, setter);
    }
  }

  private static <T> void apply(String name, T value, Consumer<T> setter) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "Invalid value for property "
              + PREFIX
              + name
              + ": "
              + value
              + " ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  private static FullBufferPolicy policy(String value) {
    String normalized = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (FullBufferPolicy p : FullBufferPolicy.values()) {
      if (p.name().equals(normalized)) {
        return p;
      }
    }
    throw new ConfigurationException(
        "Invalid value for property "
            + PREFIX
            + "full.policy: "
            + value
            + " (must be drop_newest or drop_oldest)");
  }
}
