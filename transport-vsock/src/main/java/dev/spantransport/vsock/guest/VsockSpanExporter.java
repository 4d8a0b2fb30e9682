package dev.spantransport.vsock.guest;

import dev.spantransport.spi.Signal;
import dev.spantransport.vsock.guest.internal.Backoff;
import dev.spantransport.vsock.guest.internal.BatchEncoder;
import dev.spantransport.vsock.guest.internal.BatchFramer;
import dev.spantransport.vsock.guest.internal.Channel;
import dev.spantransport.vsock.guest.internal.ChannelOpener;
import dev.spantransport.vsock.guest.internal.ExporterMetrics;
import dev.spantransport.vsock.guest.internal.InflightWindow;
import dev.spantransport.vsock.guest.internal.PolicyBatchEncoder;
import dev.spantransport.vsock.guest.internal.Sender;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends spans from a VM guest to its host over VSOCK (or any endpoint a {@code SpanTransport}
 * supports) with the span-transport wire protocol.
 *
 * <p>{@link #export} encodes the batch as an OTLP request into a bounded in-flight window and
 * completes as soon as the batch is in the window; it never waits for the network. One daemon
 * thread per exporter connects (with exponential backoff and jitter), writes the batches and reads
 * the host's acknowledgements; a batch leaves the window only when the host acknowledges it, and
 * after a reconnect every unacknowledged batch is resent with its original session id and sequence,
 * so the host can drop duplicates. When the window is full the {@link FullBufferPolicy} decides
 * which batch is dropped; drops are counted and logged (throttled), never silent.
 *
 * <p>If the host is not there, one warning is logged and the exporter keeps retrying quietly in the
 * background; the application runs normally. {@link #state()} says what the exporter is doing (see
 * {@link ExporterState}); each change is logged once. Built with {@code setRequireHost(true)}, the
 * exporter instead refuses to start when no host answers; built with {@code setEnabled(false)}, it
 * opens no socket at all.
 *
 * @since 0.1.0
 */
public final class VsockSpanExporter implements SpanExporter {

  private static final Logger logger = Logger.getLogger(VsockSpanExporter.class.getName());

  private final VsockSpanExporterBuilder config;
  private final InflightWindow window;
  private final ExporterMetrics metrics;
  private final Sender sender; // null when disabled
  private final BatchFramer framer; // null when disabled
  private final Channel channel; // null when disabled
  private final AtomicBoolean shutdown = new AtomicBoolean();

  VsockSpanExporter(VsockSpanExporterBuilder config, ChannelOpener opener) {
    this.config = config;
    if (!config.enabled) {
      this.window =
          new InflightWindow(
              config.maxInflightBatches, config.maxInflightBytes, config.fullBufferPolicy);
      this.metrics =
          new ExporterMetrics(config.meterProviderSource(), window::spans, window::bytes);
      window.setMetrics(metrics);
      this.sender = null;
      this.framer = null;
      this.channel = null;
      metrics.setStateSource(() -> ExporterState.DISABLED);
      logger.log(
          Level.INFO,
          "span-transport exporter is disabled: no socket is opened and every span is dropped");
      return;
    }
    this.channel =
        Channel.acquire(config.channelKey(), Signal.TRACES, () -> openChannel(config, opener));
    this.window = channel.window();
    this.metrics = channel.metrics();
    this.sender = channel.sender();
    BatchEncoder encoder = config.encoderFactory.get();
    if (!config.attributePolicy.isAllowAll()) {
      encoder = new PolicyBatchEncoder(encoder, config.attributePolicy);
    }
    this.framer = new BatchFramer(encoder, window, sender, metrics);
  }

  /**
   * Opens the connection, session and window that the exporters of all signals to one endpoint
   * share (the first exporter's settings apply) and starts its sender thread.
   */
  static Channel openChannel(VsockSpanExporterBuilder config, ChannelOpener opener) {
    InflightWindow window =
        new InflightWindow(
            config.maxInflightBatches, config.maxInflightBytes, config.fullBufferPolicy);
    ExporterMetrics metrics =
        new ExporterMetrics(config.meterProviderSource(), window::spans, window::bytes);
    window.setMetrics(metrics);
    window.setMaxRefusals(config.maxRefusals);
    Sender sender =
        new Sender(
            config.endpoint.toString(),
            opener,
            window,
            metrics,
            config.maxInflightBatches,
            config.connectTimeout,
            config.timeout,
            new Backoff(
                config.reconnectInitial.toNanos(),
                config.reconnectMax.toNanos(),
                config.reconnectJitter,
                System.nanoTime()),
            agentName());
    metrics.setStateSource(sender::state);
    sender.start();
    return new Channel(
        config.channelKey(),
        config.endpoint.toString(),
        window,
        metrics,
        sender,
        config.timeout.toNanos(),
        config.connectTimeout.toNanos());
  }

  /**
   * Waits up to the connect timeout for a host to answer; if none does, shuts this exporter down
   * and throws. Used by the builder when a host is required.
   */
  VsockSpanExporter requireHost() {
    if (sender == null) {
      return this;
    }
    boolean connected;
    try {
      connected = sender.awaitConnected(config.connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      connected = false;
    }
    if (!connected) {
      shutdown();
      throw new IllegalStateException(
          "no span-transport host answered at "
              + config.endpoint
              + " within the connect timeout "
              + config.connectTimeout
              + " (a host is required)");
    }
    return this;
  }

  /**
   * Returns what the exporter is doing now: connecting, connected, no host, backpressured, shut
   * down or disabled. Each change is also logged once and recorded as the {@code
   * spantransport.exporter.state} metric.
   */
  public ExporterState state() {
    if (sender == null) {
      return ExporterState.DISABLED;
    }
    return sender.state();
  }

  /** Returns a builder with the defaults. */
  public static VsockSpanExporterBuilder builder() {
    return new VsockSpanExporterBuilder();
  }

  /** Returns an exporter to {@code vsock://2:10240} with the defaults. */
  public static VsockSpanExporter getDefault() {
    return builder().build();
  }

  /** Returns a builder with this exporter's configuration. */
  public VsockSpanExporterBuilder toBuilder() {
    return new VsockSpanExporterBuilder(config);
  }

  /**
   * Puts {@code spans} into the in-flight window and returns at once: success when the whole batch
   * is in the window, failure when some of it was dropped (window full, span too large) or the
   * exporter is shut down. The host's acknowledgement is awaited by {@link #flush()}, not here.
   */
  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    if (spans.isEmpty()) {
      return CompletableResultCode.ofSuccess();
    }
    if (framer == null) {
      metrics.dropped(ExporterMetrics.DropReason.DISABLED, spans.size());
      return CompletableResultCode.ofSuccess();
    }
    return framer.frame(spans)
        ? CompletableResultCode.ofSuccess()
        : CompletableResultCode.ofFailure();
  }

  /**
   * Returns a result that succeeds when the host has acknowledged every batch exported before this
   * call, or fails at the export timeout with a message saying how many spans are unacknowledged.
   * Fails at once after shutdown.
   *
   * <p>This is the call to make before a VM or process is frozen or snapshotted: once it succeeds,
   * nothing exported so far depends on the connection surviving the pause.
   */
  @Override
  public CompletableResultCode flush() {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    if (sender == null) {
      return CompletableResultCode.ofSuccess();
    }
    return channel.flush();
  }

  /**
   * Starts shutting down and returns at once, as OpenTelemetry's exporters do: a background thread
   * flushes with the export timeout as deadline, then closes the connection and stops the sender
   * thread; the result completes when both are done (about the export timeout plus the connect
   * timeout at most), successfully if everything was acknowledged and the thread stopped. Spans
   * still unacknowledged then are dropped and counted. Exports after this call fail at once. A
   * second call logs and succeeds.
   */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      logger.log(Level.INFO, "Calling shutdown() multiple times.");
      return CompletableResultCode.ofSuccess();
    }
    if (sender == null) {
      return CompletableResultCode.ofSuccess();
    }
    // The last exporter of the shared channel stops it; the others only flush.
    return channel.release(Signal.TRACES, "items");
  }

  /** Returns the exporter's counters; for tests. */
  ExporterMetrics metrics() {
    return metrics;
  }

  /** Returns the channel, null when disabled; for tests. */
  Channel channel() {
    return channel;
  }

  /** Returns the sender; for tests. */
  Sender sender() {
    return sender;
  }

  @Override
  public String toString() {
    return "VsockSpanExporter" + config.toString(false);
  }

  static String agentName() {
    String version = VsockSpanExporter.class.getPackage().getImplementationVersion();
    return "span-transport-java/" + (version == null ? "dev" : version);
  }
}
