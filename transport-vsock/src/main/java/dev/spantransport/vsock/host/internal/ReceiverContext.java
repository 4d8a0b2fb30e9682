package dev.spantransport.vsock.host.internal;

import dev.spantransport.sink.LogBatch;
import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricBatch;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.Signal;
import dev.spantransport.text.RateLimitedLogger;
import dev.spantransport.vsock.host.GuestHealth;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * What every receive loop of one receiver shares: configuration, sinks, memory budget, dedupe
 * table, metrics and the connection count.
 *
 * <p>This class is internal and may change without notice.
 */
public final class ReceiverContext {

  static final Logger LOGGER = Logger.getLogger("dev.spantransport.vsock.host.SpanReceiver");

  final ReceiverConfig config;
  final SpanSink[] sinks;
  final LogSink[] logSinks;
  final MetricSink[] metricSinks;
  final MemoryBudget budget;
  final PeerLimits peers;
  final SessionTable sessions;
  final ReceiverMetrics metrics;
  final AtomicInteger connections = new AtomicInteger();
  final RateLimitedLogger connectionLog = new RateLimitedLogger(LOGGER, 20, 10_000);
  final RateLimitedLogger payloadLog = new RateLimitedLogger(LOGGER, 1, 60_000);

  /** Every open connection, for {@link #guests()} and the per-guest gauges. */
  final Set<Connection> live = ConcurrentHashMap.newKeySet();

  /**
   * Creates the shared state for {@code config}.
   *
   * @param config the checked configuration
   */
  public ReceiverContext(ReceiverConfig config) {
    this.config = config;
    this.sinks = config.sinks().toArray(new SpanSink[0]);
    this.logSinks = config.logSinks().toArray(new LogSink[0]);
    this.metricSinks = config.metricSinks().toArray(new MetricSink[0]);
    this.budget = new MemoryBudget(config.receiveBufferBudget());
    this.peers = new PeerLimits(config.maxConnectionsPerPeer(), config.peerReceiveBufferBudget());
    // Settled sequences a session needs: the batches of one window after a refused one, twice.
    this.sessions = new SessionTable(config.sessionTableSize(), 2 * config.window());
    MeterProvider provider = config.meterProvider();
    this.metrics = new ReceiverMetrics(provider == null ? MeterProvider.noop() : provider);
    metrics.observeGuests(live);
  }

  /** Returns the sinks of {@code signal}; empty when the receiver does not take that signal. */
  Object[] sinksOf(Signal signal) {
    switch (signal) {
      case LOGS:
        return logSinks;
      case METRICS:
        return metricSinks;
      default:
        return sinks;
    }
  }

  /** Returns whether the receiver has at least one sink for {@code signal}. */
  boolean accepts(Signal signal) {
    return sinksOf(signal).length > 0;
  }

  /** Returns the most sinks any one signal has: the results a slot must have room for. */
  int maxSinksPerSignal() {
    return Math.max(sinks.length, Math.max(logSinks.length, metricSinks.length));
  }

  /** Hands {@code batch} to {@code sink}, which is a sink of the batch's signal. */
  static CompletableResultCode offer(Object sink, OtlpBatch batch) {
    if (batch instanceof SpanBatch spans) {
      return ((SpanSink) sink).accept(spans);
    }
    if (batch instanceof LogBatch logs) {
      return ((LogSink) sink).accept(logs);
    }
    return ((MetricSink) sink).accept((MetricBatch) batch);
  }

  /** Returns a health snapshot of every connected guest. */
  public List<GuestHealth> guests() {
    List<GuestHealth> out = new ArrayList<>(live.size());
    for (Connection c : live) {
      out.add(c.health());
    }
    return out;
  }

  /** Returns the bytes currently held in receive buffers and in-flight payload copies. */
  public long bufferedBytes() {
    return budget.used();
  }

  /** Returns the number of open guest connections. */
  public int connectionCount() {
    return connections.get();
  }

  /** Returns the dedupe table. */
  public SessionTable sessions() {
    return sessions;
  }
}
