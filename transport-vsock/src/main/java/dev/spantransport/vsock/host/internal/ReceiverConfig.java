package dev.spantransport.vsock.host.internal;

import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.vsock.host.GuestIdentityResolver;
import dev.spantransport.vsock.host.LegacyFrameDecoder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The receiver's immutable configuration, as checked by the builder.
 *
 * <p>This class is internal and may change without notice.
 *
 * @param endpoints where to listen
 * @param sinks where batches go
 * @param maxFrameLength largest frame payload accepted, in bytes
 * @param maxSpansPerFrame most spans accepted in one SPANS frame
 * @param window most un-acked SPANS frames per connection
 * @param maxConnections most open connections over all endpoints
 * @param maxConnectionsPerPeer most open connections of one peer (see {@link PeerLimits})
 * @param receiveBufferBudget bytes all connections may hold beyond their base read buffers
 * @param peerReceiveBufferBudget bytes of that budget the connections of one peer may hold
 * @param initialReadBufferSize base read buffer per connection
 * @param handshakeTimeout time a new connection has to send CLIENT_HELLO
 * @param idleTimeout time without traffic after which a connection is closed; zero = never
 * @param frameTimeout time a frame may take from its first byte to its last
 * @param sessionTableSize sessions remembered for dedupe
 * @param identityResolver optional extra identity, or null
 * @param legacyFrameDecoder optional Kata decoder, or null
 * @param socketFilePermissions permissions of unix / hybrid-vsock socket files
 * @param meterProvider where self-metrics go
 * @param shutdownTimeout how long shutdown waits for in-flight batches
 * @param spanLimits limits applied to every span before any sink sees it
 * @param logSinks where log batches go; empty: logs are not taken
 * @param metricSinks where metric batches go; empty: metrics are not taken
 */
public record ReceiverConfig(
    List<Endpoint> endpoints,
    List<SpanSink> sinks,
    int maxFrameLength,
    int maxSpansPerFrame,
    int window,
    int maxConnections,
    int maxConnectionsPerPeer,
    long receiveBufferBudget,
    long peerReceiveBufferBudget,
    int initialReadBufferSize,
    Duration handshakeTimeout,
    Duration idleTimeout,
    Duration frameTimeout,
    int sessionTableSize,
    GuestIdentityResolver identityResolver,
    LegacyFrameDecoder legacyFrameDecoder,
    Set<PosixFilePermission> socketFilePermissions,
    MeterProvider meterProvider,
    Duration shutdownTimeout,
    SpanLimits spanLimits,
    List<LogSink> logSinks,
    List<MetricSink> metricSinks) {

  /** A configuration for spans only (no log or metric sinks). */
  public ReceiverConfig(
      List<Endpoint> endpoints,
      List<SpanSink> sinks,
      int maxFrameLength,
      int maxSpansPerFrame,
      int window,
      int maxConnections,
      int maxConnectionsPerPeer,
      long receiveBufferBudget,
      long peerReceiveBufferBudget,
      int initialReadBufferSize,
      Duration handshakeTimeout,
      Duration idleTimeout,
      Duration frameTimeout,
      int sessionTableSize,
      GuestIdentityResolver identityResolver,
      LegacyFrameDecoder legacyFrameDecoder,
      Set<PosixFilePermission> socketFilePermissions,
      MeterProvider meterProvider,
      Duration shutdownTimeout,
      SpanLimits spanLimits) {
    this(
        endpoints,
        sinks,
        maxFrameLength,
        maxSpansPerFrame,
        window,
        maxConnections,
        maxConnectionsPerPeer,
        receiveBufferBudget,
        peerReceiveBufferBudget,
        initialReadBufferSize,
        handshakeTimeout,
        idleTimeout,
        frameTimeout,
        sessionTableSize,
        identityResolver,
        legacyFrameDecoder,
        socketFilePermissions,
        meterProvider,
        shutdownTimeout,
        spanLimits,
        List.of(),
        List.of());
  }
}
