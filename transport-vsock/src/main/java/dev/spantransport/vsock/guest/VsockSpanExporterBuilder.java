package dev.spantransport.vsock.guest;

import static java.util.Objects.requireNonNull;

import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.SpanTransports;
import dev.spantransport.spi.VsockEndpoint;
import dev.spantransport.vsock.guest.internal.BatchEncoder;
import dev.spantransport.vsock.guest.internal.ChannelOpener;
import dev.spantransport.vsock.guest.internal.OtlpBatchEncoder;
import io.opentelemetry.api.metrics.MeterProvider;
import java.time.Duration;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Builds a {@link VsockSpanExporter}. Every setter checks its argument at once and throws {@link
 * NullPointerException} or {@link IllegalArgumentException} naming the rule and the value, so a bad
 * value never reaches {@link #build()}.
 */
public final class VsockSpanExporterBuilder {

  /** Default endpoint: the host (CID 2), port 10240, as the Kata agent uses. */
  public static final String DEFAULT_ENDPOINT = "vsock://2:10240";

  /** Default connect timeout in seconds. */
  public static final long DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

  /** Default export timeout in seconds: how long an acknowledgement may take. */
  public static final long DEFAULT_TIMEOUT_SECONDS = 10;

  /** Default limit on unacknowledged frame bytes: 8 MiB. */
  public static final long DEFAULT_MAX_INFLIGHT_BYTES = 8L * 1024 * 1024;

  /** Default limit on unacknowledged batches. */
  public static final int DEFAULT_MAX_INFLIGHT_BATCHES = 128;

  /** Default first reconnect delay in milliseconds. */
  public static final long DEFAULT_RECONNECT_INITIAL_MILLIS = 500;

  /** Default longest reconnect delay in seconds. */
  public static final long DEFAULT_RECONNECT_MAX_SECONDS = 30;

  /** Default reconnect jitter: each delay is shortened by up to this random fraction. */
  public static final double DEFAULT_RECONNECT_JITTER = 0.2;

  /**
   * Default for {@link #setMaxRefusals(int)}: with the default backoff, about half an hour of a
   * host refusing the same batch.
   */
  public static final int DEFAULT_MAX_REFUSALS = 64;

  static final int MAX_MAX_REFUSALS = 1_000_000;

  static final long MIN_INFLIGHT_BYTES = 1024;
  static final long MAX_INFLIGHT_BYTES = 1L << 30;
  static final int MAX_INFLIGHT_BATCHES = 65_536;

  Endpoint endpoint = Endpoint.parse(DEFAULT_ENDPOINT);
  Duration connectTimeout = Duration.ofSeconds(DEFAULT_CONNECT_TIMEOUT_SECONDS);
  Duration timeout = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
  long maxInflightBytes = DEFAULT_MAX_INFLIGHT_BYTES;
  int maxInflightBatches = DEFAULT_MAX_INFLIGHT_BATCHES;
  Duration reconnectInitial = Duration.ofMillis(DEFAULT_RECONNECT_INITIAL_MILLIS);
  Duration reconnectMax = Duration.ofSeconds(DEFAULT_RECONNECT_MAX_SECONDS);
  double reconnectJitter = DEFAULT_RECONNECT_JITTER;
  int maxRefusals = DEFAULT_MAX_REFUSALS;
  FullBufferPolicy fullBufferPolicy = FullBufferPolicy.DROP_NEWEST;
  MeterProvider meterProvider; // null: none given directly
  Supplier<MeterProvider> meterProviderSupplier; // null: none given as a supplier
  ChannelOpener channelOpener; // null: the endpoint's SpanTransport
  Supplier<BatchEncoder> encoderFactory = OtlpBatchEncoder::new;
  boolean requireHost;
  boolean enabled = true;
  AttributePolicy attributePolicy = AttributePolicy.allowAll();

  VsockSpanExporterBuilder() {}

  VsockSpanExporterBuilder(VsockSpanExporterBuilder other) {
    endpoint = other.endpoint;
    connectTimeout = other.connectTimeout;
    timeout = other.timeout;
    maxInflightBytes = other.maxInflightBytes;
    maxInflightBatches = other.maxInflightBatches;
    reconnectInitial = other.reconnectInitial;
    reconnectMax = other.reconnectMax;
    reconnectJitter = other.reconnectJitter;
    maxRefusals = other.maxRefusals;
    fullBufferPolicy = other.fullBufferPolicy;
    meterProvider = other.meterProvider;
    meterProviderSupplier = other.meterProviderSupplier;
    channelOpener = other.channelOpener;
    encoderFactory = other.encoderFactory;
    requireHost = other.requireHost;
    enabled = other.enabled;
    attributePolicy = other.attributePolicy;
  }

  /**
   * Sets where to send spans, e.g. {@code vsock://2:10240}, {@code hvsock:/run/vm.sock:10240},
   * {@code unix:/run/spans.sock} or {@code tcp://127.0.0.1:4319}. Default {@value
   * #DEFAULT_ENDPOINT}. A {@code SpanTransport} for the endpoint's scheme must be on the class
   * path.
   *
   * @throws IllegalArgumentException if the text is not a valid endpoint
   */
  public VsockSpanExporterBuilder setEndpoint(String endpoint) {
    requireNonNull(endpoint, "endpoint");
    return setEndpoint(Endpoint.parse(endpoint));
  }

  /**
   * Sets where to send spans. Default {@value #DEFAULT_ENDPOINT}.
   *
   * @throws IllegalArgumentException if the endpoint is {@code vsock://any:PORT}, which can only be
   *     listened on
   */
  public VsockSpanExporterBuilder setEndpoint(Endpoint endpoint) {
    requireNonNull(endpoint, "endpoint");
    if (endpoint instanceof VsockEndpoint && ((VsockEndpoint) endpoint).isAnyCid()) {
      throw new IllegalArgumentException(
          "endpoint must name a CID to connect to, not any: " + endpoint);
    }
    this.endpoint = endpoint;
    return this;
  }

  /**
   * Sets how long one connection attempt (connect plus handshake) may take. Default {@value
   * #DEFAULT_CONNECT_TIMEOUT_SECONDS} s.
   */
  public VsockSpanExporterBuilder setConnectTimeout(Duration connectTimeout) {
    requireNonNull(connectTimeout, "connectTimeout");
    this.connectTimeout = positive("connectTimeout", connectTimeout);
    return this;
  }

  /** Sets how long one connection attempt may take. */
  public VsockSpanExporterBuilder setConnectTimeout(long connectTimeout, TimeUnit unit) {
    requireNonNull(unit, "unit");
    return setConnectTimeout(Duration.ofNanos(unit.toNanos(connectTimeout)));
  }

  /**
   * Sets the export timeout: how long the host may take to acknowledge sent batches before the
   * connection is probed with a PING and, without an answer, replaced; also the deadline of {@link
   * VsockSpanExporter#flush()} and of the flush in {@link VsockSpanExporter#shutdown()}. {@code
   * export()} itself never waits for the network. Default {@value #DEFAULT_TIMEOUT_SECONDS} s.
   */
  public VsockSpanExporterBuilder setTimeout(Duration timeout) {
    requireNonNull(timeout, "timeout");
    this.timeout = positive("timeout", timeout);
    return this;
  }

  /** Sets the export timeout; see {@link #setTimeout(Duration)}. */
  public VsockSpanExporterBuilder setTimeout(long timeout, TimeUnit unit) {
    requireNonNull(unit, "unit");
    return setTimeout(Duration.ofNanos(unit.toNanos(timeout)));
  }

  /**
   * Sets the most frame bytes (16-byte header plus OTLP payload per batch) held while waiting for
   * acknowledgement, between 1,024 and 1 GiB. Default 8 MiB.
   */
  public VsockSpanExporterBuilder setMaxInflightBytes(long maxInflightBytes) {
    if (maxInflightBytes < MIN_INFLIGHT_BYTES || maxInflightBytes > MAX_INFLIGHT_BYTES) {
      throw new IllegalArgumentException(
          "maxInflightBytes must be between "
              + MIN_INFLIGHT_BYTES
              + " and "
              + MAX_INFLIGHT_BYTES
              + ": "
              + maxInflightBytes);
    }
    this.maxInflightBytes = maxInflightBytes;
    return this;
  }

  /**
   * Sets the most batches held while waiting for acknowledgement, between 1 and 65,536. Default
   * {@value #DEFAULT_MAX_INFLIGHT_BATCHES}.
   */
  public VsockSpanExporterBuilder setMaxInflightBatches(int maxInflightBatches) {
    if (maxInflightBatches < 1 || maxInflightBatches > MAX_INFLIGHT_BATCHES) {
      throw new IllegalArgumentException(
          "maxInflightBatches must be between 1 and "
              + MAX_INFLIGHT_BATCHES
              + ": "
              + maxInflightBatches);
    }
    this.maxInflightBatches = maxInflightBatches;
    return this;
  }

  /**
   * Sets the first reconnect delay; each consecutive failure doubles it up to {@link
   * #setReconnectMaxBackoff}. Default {@value #DEFAULT_RECONNECT_INITIAL_MILLIS} ms.
   */
  public VsockSpanExporterBuilder setReconnectInitialBackoff(Duration reconnectInitial) {
    requireNonNull(reconnectInitial, "reconnectInitial");
    this.reconnectInitial = positive("reconnectInitial", reconnectInitial);
    return this;
  }

  /** Sets the longest reconnect delay. Default {@value #DEFAULT_RECONNECT_MAX_SECONDS} s. */
  public VsockSpanExporterBuilder setReconnectMaxBackoff(Duration reconnectMax) {
    requireNonNull(reconnectMax, "reconnectMax");
    this.reconnectMax = positive("reconnectMax", reconnectMax);
    return this;
  }

  /**
   * Sets the reconnect jitter: each delay is shortened by a random fraction of up to this, between
   * 0 and 1, so many guests restarted together do not reconnect in step. Default {@value
   * #DEFAULT_RECONNECT_JITTER}.
   */
  public VsockSpanExporterBuilder setReconnectJitter(double reconnectJitter) {
    if (!(reconnectJitter >= 0 && reconnectJitter <= 1)) {
      throw new IllegalArgumentException(
          "reconnectJitter must be between 0 and 1: " + reconnectJitter);
    }
    this.reconnectJitter = reconnectJitter;
    return this;
  }

  /**
   * Sets how many times the host may refuse one batch ({@code SINK_UNAVAILABLE} naming it) before
   * the exporter gives it up: the batch is dropped and its spans counted under the drop reason
   * {@code refusal_limit}. This keeps a batch a host can never deliver (one that a host without
   * permanent rejection keeps refusing) from holding every batch behind it forever. Resends after a
   * lost connection, a freeze or a host restart are not refusals and never count; and consecutive
   * refusals back off exponentially up to the reconnect maximum, so the default covers a long
   * collector outage. Between 0 and 1,000,000. Default {@value #DEFAULT_MAX_REFUSALS}.
   */
  public VsockSpanExporterBuilder setMaxRefusals(int maxRefusals) {
    if (maxRefusals < 0 || maxRefusals > MAX_MAX_REFUSALS) {
      throw new IllegalArgumentException(
          "maxRefusals must be between 0 and " + MAX_MAX_REFUSALS + ": " + maxRefusals);
    }
    this.maxRefusals = maxRefusals;
    return this;
  }

  /**
   * Sets what to drop when the in-flight window is full. Default {@link
   * FullBufferPolicy#DROP_NEWEST}.
   */
  public VsockSpanExporterBuilder setFullBufferPolicy(FullBufferPolicy fullBufferPolicy) {
    requireNonNull(fullBufferPolicy, "fullBufferPolicy");
    this.fullBufferPolicy = fullBufferPolicy;
    return this;
  }

  /**
   * Sets the {@link MeterProvider} for the exporter's own metrics ({@code
   * spantransport.exporter.*}: spans exported, acked, resent, dropped by reason, bytes sent,
   * reconnects, in-flight spans and bytes). Default: none, no metrics are recorded.
   */
  public VsockSpanExporterBuilder setMeterProvider(MeterProvider meterProvider) {
    requireNonNull(meterProvider, "meterProvider");
    this.meterProvider = meterProvider;
    this.meterProviderSupplier = null;
    return this;
  }

  /**
   * Sets where the {@link MeterProvider} for the exporter's own metrics comes from, for when it
   * does not exist yet as the exporter is built (SDK autoconfiguration builds exporters before the
   * meter provider). The instruments are created on first use, from the first provider {@code
   * supplier} returns; while it returns null nothing is recorded to instruments (the exporter's
   * internal counts still run). Replaces a provider set with {@link
   * #setMeterProvider(MeterProvider)}.
   *
   * @param supplier called from exporter threads until it returns a provider
   * @return this builder
   */
  public VsockSpanExporterBuilder setMeterProvider(Supplier<MeterProvider> supplier) {
    requireNonNull(supplier, "supplier");
    this.meterProviderSupplier = supplier;
    this.meterProvider = null;
    return this;
  }

  /** Returns where the metrics' meter provider comes from; a no-op provider if none was set. */
  Supplier<MeterProvider> meterProviderSource() {
    if (meterProviderSupplier != null) {
      return meterProviderSupplier;
    }
    MeterProvider fixed = meterProvider == null ? MeterProvider.noop() : meterProvider;
    return () -> fixed;
  }

  /**
   * Sets whether {@link #build()} fails when no host answers the handshake within the connect
   * timeout. Default false: the exporter starts at once and connects in the background, so an
   * application never fails because its host is late.
   */
  public VsockSpanExporterBuilder setRequireHost(boolean requireHost) {
    this.requireHost = requireHost;
    return this;
  }

  /**
   * Sets whether the exporter sends at all. Disabled, it opens no socket, drops every span and
   * counts it (drop reason {@code disabled}), and its exports succeed: for guests whose policy
   * forbids spans from leaving the VM. Default true.
   */
  public VsockSpanExporterBuilder setEnabled(boolean enabled) {
    this.enabled = enabled;
    return this;
  }

  /**
   * Sets what of each span may leave the guest: the policy is applied before a span is encoded, so
   * nothing it drops, redacts or hashes is ever written to the socket. Default {@link
   * AttributePolicy#allowAll()}.
   */
  public VsockSpanExporterBuilder setAttributePolicy(AttributePolicy attributePolicy) {
    this.attributePolicy = requireNonNull(attributePolicy, "attributePolicy");
    return this;
  }

  /**
   * Returns the test seam's opener, or one that connects through the endpoint's {@code
   * SpanTransport}.
   *
   * @throws IllegalArgumentException if no transport supports the endpoint
   */
  ChannelOpener opener() {
    if (channelOpener != null) {
      return channelOpener;
    }
    Endpoint target = endpoint;
    SpanTransport transport = SpanTransports.forEndpoint(target);
    return connectTimeout -> transport.connect(target, connectTimeout);
  }

  /**
   * Returns what makes exporters share a channel: the endpoint, and the test seam's opener if one
   * is set (exporters with different fake hosts never share).
   */
  String channelKey() {
    return endpoint
        + (channelOpener == null ? "" : "#opener@" + System.identityHashCode(channelOpener));
  }

  /** Test seam: opens connections instead of the endpoint's {@code SpanTransport}. */
  VsockSpanExporterBuilder setChannelOpener(ChannelOpener channelOpener) {
    this.channelOpener = requireNonNull(channelOpener, "channelOpener");
    return this;
  }

  /** Test seam: encodes batches instead of the OTLP codec. */
  VsockSpanExporterBuilder setEncoderFactory(Supplier<BatchEncoder> encoderFactory) {
    this.encoderFactory = requireNonNull(encoderFactory, "encoderFactory");
    return this;
  }

  /**
   * Builds the exporter and starts its sender thread, which connects in the background; with {@link
   * #setRequireHost(boolean) setRequireHost(true)} it first waits up to the connect timeout for a
   * host to answer.
   *
   * @throws IllegalArgumentException if the reconnect initial backoff exceeds the maximum, or no
   *     {@code SpanTransport} on the class path supports the endpoint
   * @throws IllegalStateException if a host is required and none answered in time
   */
  public VsockSpanExporter build() {
    if (reconnectInitial.compareTo(reconnectMax) > 0) {
      throw new IllegalArgumentException(
          "reconnectInitial must not exceed reconnectMax "
              + reconnectMax
              + ": "
              + reconnectInitial);
    }
    if (!enabled) {
      return new VsockSpanExporter(new VsockSpanExporterBuilder(this), null);
    }
    ChannelOpener opener = opener();
    VsockSpanExporter exporter = new VsockSpanExporter(new VsockSpanExporterBuilder(this), opener);
    return requireHost ? exporter.requireHost() : exporter;
  }

  String toString(boolean includePrefix) {
    StringJoiner joiner =
        new StringJoiner(", ", includePrefix ? "VsockSpanExporterBuilder{" : "{", "}");
    joiner.add("endpoint=" + endpoint);
    joiner.add("connectTimeout=" + connectTimeout);
    joiner.add("timeout=" + timeout);
    joiner.add("maxInflightBytes=" + maxInflightBytes);
    joiner.add("maxInflightBatches=" + maxInflightBatches);
    joiner.add("fullBufferPolicy=" + fullBufferPolicy);
    joiner.add("reconnectInitial=" + reconnectInitial);
    joiner.add("reconnectMax=" + reconnectMax);
    joiner.add("reconnectJitter=" + reconnectJitter);
    joiner.add("maxRefusals=" + maxRefusals);
    joiner.add("requireHost=" + requireHost);
    joiner.add("enabled=" + enabled);
    if (!attributePolicy.isAllowAll()) {
      joiner.add("attributePolicy=" + attributePolicy);
    }
    joiner.add(
        "meterProvider="
            + (meterProviderSupplier != null
                ? "supplied"
                : meterProvider == null ? "none" : meterProvider.getClass().getSimpleName()));
    return joiner.toString();
  }

  @Override
  public String toString() {
    return toString(true);
  }

  private static Duration positive(String name, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }
}
