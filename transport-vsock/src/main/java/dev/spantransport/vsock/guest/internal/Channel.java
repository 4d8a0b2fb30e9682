package dev.spantransport.vsock.guest.internal;

import dev.spantransport.spi.Signal;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection to a host with its session, in-flight window and sender thread, shared by the
 * exporters of one process that send to the same endpoint: a {@code VsockSpanExporter}, a {@code
 * VsockLogRecordExporter} and a {@code VsockMetricExporter} built for one endpoint use one channel,
 * so the host sees one guest session whose batches of all three signals share one sequence and one
 * window. At most one exporter per signal holds a channel: a second exporter of the same signal and
 * endpoint gets a channel of its own, exactly as before channels were shared.
 *
 * <p>The channel is reference-counted by its holders: the exporter that releases it last stops the
 * sender and drops what the host never acknowledged; the others only flush.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class Channel {

  private static final Logger logger = Logger.getLogger(Channel.class.getName());

  /** The shared channels by key; guarded by itself. */
  private static final Map<String, Channel> OPEN = new HashMap<>();

  private final String key;
  private final String endpoint;
  private final InflightWindow window;
  private final ExporterMetrics metrics;
  private final Sender sender;
  private final long timeoutNanos;
  private final long connectTimeoutNanos;
  private final Set<Signal> holders = EnumSet.noneOf(Signal.class);

  /**
   * Creates a started channel's record; the sender must already be started or be started by the
   * caller before the channel is used.
   *
   * @param key what makes two exporters share the channel: the endpoint (and test seams)
   * @param endpoint the endpoint, for log lines
   * @param window the in-flight window
   * @param metrics the connection's metrics (and those of the spans)
   * @param sender the sender thread
   * @param timeoutNanos the export timeout: flush deadline
   * @param connectTimeoutNanos the connect timeout: how long stopping may take
   */
  public Channel(
      String key,
      String endpoint,
      InflightWindow window,
      ExporterMetrics metrics,
      Sender sender,
      long timeoutNanos,
      long connectTimeoutNanos) {
    this.key = key;
    this.endpoint = endpoint;
    this.window = window;
    this.metrics = metrics;
    this.sender = sender;
    this.timeoutNanos = timeoutNanos;
    this.connectTimeoutNanos = connectTimeoutNanos;
  }

  /**
   * Returns the channel for {@code key} that no exporter of {@code signal} holds yet, held now for
   * {@code signal}; creates one with {@code factory} (which starts it) when there is none.
   */
  public static Channel acquire(String key, Signal signal, Supplier<Channel> factory) {
    synchronized (OPEN) {
      Channel shared = OPEN.get(key);
      if (shared != null && !shared.holders.contains(signal)) {
        shared.holders.add(signal);
        return shared;
      }
      Channel fresh = factory.get();
      if (shared == null) {
        OPEN.put(key, fresh);
      }
      fresh.holders.add(signal);
      return fresh;
    }
  }

  /** Returns the window. */
  public InflightWindow window() {
    return window;
  }

  /** Returns the connection's metrics (the span exporter's own). */
  public ExporterMetrics metrics() {
    return metrics;
  }

  /** Returns the sender. */
  public Sender sender() {
    return sender;
  }

  /** Returns which signals' exporters hold this channel now; for tests. */
  public Set<Signal> holders() {
    synchronized (OPEN) {
      return EnumSet.copyOf(holders.isEmpty() ? EnumSet.noneOf(Signal.class) : holders);
    }
  }

  /**
   * Returns a result that succeeds once the host acknowledged every batch put into the window so
   * far (of any signal), or fails at the export timeout.
   */
  public CompletableResultCode flush() {
    CompletableResultCode result = window.flush(timeoutNanos, TimeUnit.NANOSECONDS);
    sender.wakeup();
    return result;
  }

  /**
   * Releases {@code signal}'s hold and returns at once; a background thread flushes with the export
   * timeout as deadline and, if no other exporter holds the channel, stops the sender and drops
   * (counted) what is still unacknowledged. The result succeeds if everything was acknowledged (and
   * the sender stopped).
   *
   * @param what e.g. {@code spans}, for the log line about dropped items
   */
  public CompletableResultCode release(Signal signal, String what) {
    boolean last;
    synchronized (OPEN) {
      holders.remove(signal);
      last = holders.isEmpty();
      if (last) {
        OPEN.remove(key, this);
      }
    }
    if (last) {
      sender.markShutDown();
    }
    CompletableResultCode result = new CompletableResultCode();
    Thread closer =
        new Thread(
            () -> {
              if (last ? stopAndDrop(what) : flushed()) {
                result.succeed();
              } else {
                result.fail();
              }
            },
            sender.thread().getName() + "-shutdown-" + signal.name().toLowerCase(Locale.ROOT));
    closer.setDaemon(true);
    closer.start();
    return result;
  }

  private boolean flushed() {
    CompletableResultCode flushed = flush();
    flushed.join(timeoutNanos + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
    return flushed.isSuccess();
  }

  /** Flushes with a deadline, stops the sender and drops what is left; true if all went well. */
  private boolean stopAndDrop(String what) {
    CompletableResultCode flushed = window.flush(timeoutNanos, TimeUnit.NANOSECONDS);
    sender.wakeup();
    // the sender fails the flush at its deadline; the extra second covers a dead sender thread
    flushed.join(timeoutNanos + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
    boolean stopped;
    try {
      stopped =
          sender.stop(connectTimeoutNanos + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = false;
    }
    long lost = window.dropAll();
    if (lost > 0) {
      logger.log(
          Level.WARNING,
          "span-transport exporter shut down with "
              + lost
              + " "
              + what
              + " not acknowledged by the host at "
              + endpoint
              + "; they are dropped");
    }
    if (!stopped) {
      logger.log(Level.WARNING, "span-transport sender thread did not stop in time");
    }
    return flushed.isSuccess() && stopped;
  }

  @Override
  public String toString() {
    return "Channel{endpoint=" + endpoint + ", holders=" + holders() + "}";
  }
}
