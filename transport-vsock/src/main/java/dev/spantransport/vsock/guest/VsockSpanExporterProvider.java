package dev.spantransport.vsock.guest;

import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.policy.AttributePolicyBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.AutoConfigureListener;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

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
 *   <li>{@code otel.exporter.vsock.max.refusals}: how often the host may refuse one batch before it
 *       is dropped, e.g. {@code 64}
 *   <li>{@code otel.exporter.vsock.require.host}: {@code true} fails start-up when no host answers
 *       within the connect timeout (default {@code false}: connect in the background)
 *   <li>{@code otel.exporter.vsock.enabled}: {@code false} opens no socket and drops every span,
 *       counted (default {@code true})
 *   <li>{@code otel.exporter.vsock.policy.allow}, {@code .deny}, {@code .redact}, {@code .hash}:
 *       comma-separated key globs; {@code .hash.secret} (at least 16 bytes), {@code
 *       .redaction.text}, {@code .max.value.length}, {@code .span.name.pattern} with {@code
 *       .span.name.replacement}: what may leave the guest ({@code AttributePolicy})
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
    VsockSpanExporterBuilder builder = configure(config, meterProvider::get);
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "Invalid otel.exporter.vsock.* configuration: " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      throw new ConfigurationException(
          e.getMessage() + "; unset " + PREFIX + "require.host to start without one", e);
    }
  }

  /**
   * Reads every {@code otel.exporter.vsock.*} property into a span exporter builder; the logs and
   * metrics providers read their shared connection's settings through it too.
   *
   * @throws ConfigurationException naming a property that cannot be used
   */
  static VsockSpanExporterBuilder configure(
      ConfigProperties config, Supplier<MeterProvider> meterProvider) {
    VsockSpanExporterBuilder builder = VsockSpanExporter.builder().setMeterProvider(meterProvider);
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
    Integer refusals = config.getInt(PREFIX + "max.refusals");
    if (refusals != null) {
      apply("max.refusals", refusals, builder::setMaxRefusals);
    }
    AttributePolicy attributePolicy = attributePolicy(config);
    if (!attributePolicy.isAllowAll()) {
      builder.setAttributePolicy(attributePolicy);
    }
    Boolean requireHost = config.getBoolean(PREFIX + "require.host");
    if (requireHost != null) {
      builder.setRequireHost(requireHost);
    }
    Boolean enabled = config.getBoolean(PREFIX + "enabled");
    if (enabled != null) {
      builder.setEnabled(enabled);
    }
    return builder;
  }

  /** Reads {@code otel.exporter.vsock.policy.*}; no such property gives allow-all. */
  static AttributePolicy attributePolicy(ConfigProperties config) {
    AttributePolicyBuilder policy = AttributePolicy.builder();
    String p = PREFIX + "policy.";
    try {
      List<String> allow = config.getList(p + "allow");
      if (!allow.isEmpty()) {
        policy.allowKeys(allow);
      }
      List<String> deny = config.getList(p + "deny");
      if (!deny.isEmpty()) {
        policy.denyKeys(deny);
      }
      List<String> redact = config.getList(p + "redact");
      if (!redact.isEmpty()) {
        policy.redactKeys(redact);
      }
      String text = config.getString(p + "redaction.text");
      if (text != null) {
        policy.setRedactionText(text);
      }
      List<String> hash = config.getList(p + "hash");
      String secret = config.getString(p + "hash.secret");
      if (!hash.isEmpty()) {
        if (secret == null) {
          throw new ConfigurationException(
              p + "hash is set but " + p + "hash.secret is not: hashing needs a secret");
        }
        policy.hashKeys(secret.getBytes(StandardCharsets.UTF_8), hash);
      }
      Integer max = config.getInt(p + "max.value.length");
      if (max != null) {
        policy.setMaxValueLength(max);
      }
      String name = config.getString(p + "span.name.pattern");
      if (name != null) {
        policy.setSpanNameRule(name, config.getString(p + "span.name.replacement", ""));
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("Invalid " + p + "* configuration: " + e.getMessage(), e);
    }
    return policy.build();
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
