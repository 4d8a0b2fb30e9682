package dev.spantransport.vsock.guest.internal;

import dev.spantransport.spi.Signal;
import dev.spantransport.vsock.guest.ExporterState;
import dev.spantransport.wire.FrameType;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What {@code VsockLogRecordExporter} and {@code VsockMetricExporter} share: a hold on the {@link
 * Channel} of their endpoint (opened if no exporter has it open yet), a {@link SignalFramer} into
 * its window, and the exporter contract of {@code export} (never waits for the network), {@code
 * flush} (waits for the host's acknowledgement) and {@code shutdown} (the last holder of the
 * channel stops it).
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 *
 * @param <T> {@code LogRecordData} or {@code MetricData}
 */
public final class SignalExporter<T> {

  private static final Logger logger = Logger.getLogger(SignalExporter.class.getName());

  private final Signal signal;
  private final Channel channel; // null when disabled
  private final SignalFramer<T> framer; // null when disabled
  private final ExporterMetrics metrics;
  private final ToIntFunction<T> itemsOf;
  private final AtomicBoolean shutdown = new AtomicBoolean();

  /**
   * Joins (or opens) the channel for {@code channelKey} and starts framing into it.
   *
   * @param signal LOGS or METRICS
   * @param enabled false: no channel, every item is dropped and counted
   * @param channelKey the shared channel's key
   * @param opener opens the channel when this exporter is its first holder
   * @param meterProvider where this signal's counters go
   * @param marshaler builds the OTLP request of a batch
   * @param itemsOf items per element: 1 per log record, the points of a metric
   */
  public SignalExporter(
      Signal signal,
      boolean enabled,
      String channelKey,
      Supplier<Channel> opener,
      Supplier<MeterProvider> meterProvider,
      Function<Collection<T>, Marshaler> marshaler,
      ToIntFunction<T> itemsOf) {
    this.signal = signal;
    this.itemsOf = itemsOf;
    String item = signal == Signal.LOGS ? "log_records" : "metric_points";
    String unit = signal == Signal.LOGS ? "{log_record}" : "{data_point}";
    this.metrics = new ExporterMetrics(meterProvider, item, unit);
    if (!enabled) {
      this.channel = null;
      this.framer = null;
      logger.log(
          Level.INFO,
          "span-transport "
              + signal.itemName()
              + " exporter is disabled: no socket is opened and every item is dropped");
      return;
    }
    this.channel = Channel.acquire(channelKey, signal, opener);
    this.framer =
        new SignalFramer<>(
            FrameType.of(signal),
            signal.itemName(),
            marshaler,
            itemsOf,
            channel.window(),
            channel.sender(),
            metrics);
  }

  /** Frames {@code elements} into the window: success when all of them are in it. */
  public CompletableResultCode export(Collection<T> elements) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    if (elements.isEmpty()) {
      return CompletableResultCode.ofSuccess();
    }
    if (framer == null) {
      long items = 0;
      for (T e : elements) {
        items += itemsOf.applyAsInt(e);
      }
      metrics.dropped(
          ExporterMetrics.DropReason.DISABLED, (int) Math.min(Integer.MAX_VALUE, items));
      return CompletableResultCode.ofSuccess();
    }
    return framer.frame(elements)
        ? CompletableResultCode.ofSuccess()
        : CompletableResultCode.ofFailure();
  }

  /** Succeeds when the host acknowledged everything in the shared window; fails at the timeout. */
  public CompletableResultCode flush() {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    return channel == null ? CompletableResultCode.ofSuccess() : channel.flush();
  }

  /** Releases the channel (stopping it if this was its last holder); a second call succeeds. */
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      logger.log(Level.INFO, "Calling shutdown() multiple times.");
      return CompletableResultCode.ofSuccess();
    }
    return channel == null ? CompletableResultCode.ofSuccess() : channel.release(signal, "items");
  }

  /** Returns the channel's state, {@link ExporterState#DISABLED} without one. */
  public ExporterState state() {
    return channel == null ? ExporterState.DISABLED : channel.sender().state();
  }

  /** Waits up to {@code timeout} for the channel's handshake; true if connected. */
  public boolean awaitConnected(long timeout, TimeUnit unit) throws InterruptedException {
    return channel == null || channel.sender().awaitConnected(timeout, unit);
  }

  /** Returns this signal's counters; for tests. */
  public ExporterMetrics metrics() {
    return metrics;
  }

  /** Returns the channel, null when disabled; for tests. */
  public Channel channel() {
    return channel;
  }
}
