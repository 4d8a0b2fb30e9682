package dev.spantransport.vsock.host;

import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.vsock.host.internal.ReceiverConfig;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Configures a {@link SpanReceiver}. Every setter checks its argument at once and names the rule
 * and the value it saw. Not thread-safe.
 */
public final class SpanReceiverBuilder {

  /** Default largest frame payload: 8 MiB. */
  public static final int DEFAULT_MAX_FRAME_LENGTH = 8 * 1024 * 1024;

  /** Hard cap on the max frame length: 64 MiB. */
  public static final int MAX_FRAME_LENGTH_CAP = 64 * 1024 * 1024;

  /** Default most spans per SPANS frame. */
  public static final int DEFAULT_MAX_SPANS_PER_FRAME = 65_536;

  /** Default most un-acked SPANS frames per connection. */
  public static final int DEFAULT_WINDOW = 8;

  /** Default most open connections. */
  public static final int DEFAULT_MAX_CONNECTIONS = 4096;

  /** Default most open connections of one peer (one VM, one Unix user, one TCP address). */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 1024;

  /** Default receive-buffer budget shared by all connections: 128 MiB. */
  public static final long DEFAULT_RECEIVE_BUFFER_BUDGET = 128L * 1024 * 1024;

  /** Default base read buffer per connection: 8 KiB. */
  public static final int DEFAULT_READ_BUFFER_SIZE = 8 * 1024;

  /** Default number of guest sessions remembered for dedupe. */
  public static final int DEFAULT_SESSION_TABLE_SIZE = 65_536;

  private final List<Endpoint> endpoints = new ArrayList<>();
  private final List<SpanSink> sinks = new ArrayList<>();
  private final List<LogSink> logSinks = new ArrayList<>();
  private final List<MetricSink> metricSinks = new ArrayList<>();
  private SpanSink exporterSink;
  private int maxFrameLength = DEFAULT_MAX_FRAME_LENGTH;
  private int maxSpansPerFrame = DEFAULT_MAX_SPANS_PER_FRAME;
  private int window = DEFAULT_WINDOW;
  private int maxConnections = DEFAULT_MAX_CONNECTIONS;
  private int maxConnectionsPerPeer = DEFAULT_MAX_CONNECTIONS_PER_PEER;
  private long receiveBufferBudget = DEFAULT_RECEIVE_BUFFER_BUDGET;
  private long peerReceiveBufferBudget = -1; // derived from the budget unless set
  private int readBufferSize = DEFAULT_READ_BUFFER_SIZE;
  private Duration handshakeTimeout = Duration.ofSeconds(10);
  private Duration idleTimeout = Duration.ofMinutes(10);
  private Duration frameTimeout = Duration.ofSeconds(30);
  private Duration shutdownTimeout = Duration.ofSeconds(10);
  private int sessionTableSize = DEFAULT_SESSION_TABLE_SIZE;
  private GuestIdentityResolver identityResolver;
  private LegacyFrameDecoder legacyFrameDecoder;
  private Set<PosixFilePermission> socketFilePermissions =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private MeterProvider meterProvider;
  private SpanLimits spanLimits = SpanLimits.getDefault();

  SpanReceiverBuilder() {}

  /**
   * Adds an endpoint to listen on, in the syntax of {@link Endpoint#parse(String)}.
   *
   * @param endpoint e.g. a vsock, hybrid-vsock, unix or tcp address
   * @return this builder
   */
  public SpanReceiverBuilder addEndpoint(String endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    return addEndpoint(Endpoint.parse(endpoint));
  }

  /**
   * Adds an endpoint to listen on. For vsock, listening on any CID or on a given one are both
   * allowed; hybrid vsock listens on the Unix socket {@code <path>_<port>}.
   *
   * @param endpoint the endpoint
   * @return this builder
   */
  public SpanReceiverBuilder addEndpoint(Endpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (endpoints.contains(endpoint)) {
      throw new IllegalArgumentException("endpoint must not be added twice: " + endpoint);
    }
    endpoints.add(endpoint);
    return this;
  }

  /**
   * Adds a sink. Every batch goes to every sink and is acknowledged once all of them accepted it.
   *
   * @param sink the sink; shut down with the receiver
   * @return this builder
   */
  public SpanReceiverBuilder addSink(SpanSink sink) {
    sinks.add(Objects.requireNonNull(sink, "sink"));
    return this;
  }

  /**
   * Adds a sink for log records. Every log batch goes to every log sink and is acknowledged once
   * all of them accepted it, exactly as spans are. A receiver with at least one log sink offers the
   * logs capability to span-transport guests and serves {@code POST /v1/logs} over OTLP/HTTP;
   * without one, guests keep their logs to themselves (they drop and count them) and {@code
   * /v1/logs} answers 404.
   *
   * @param sink the sink; shut down with the receiver (once, if it is a sink of other signals too)
   * @return this builder
   */
  public SpanReceiverBuilder addLogSink(LogSink sink) {
    logSinks.add(Objects.requireNonNull(sink, "sink"));
    return this;
  }

  /**
   * Adds a sink for metrics, with the same rules as {@link #addLogSink} (capability offered to
   * guests, {@code POST /v1/metrics} served, 404 without one).
   *
   * @param sink the sink; shut down with the receiver (once, if it is a sink of other signals too)
   * @return this builder
   */
  public SpanReceiverBuilder addMetricSink(MetricSink sink) {
    metricSinks.add(Objects.requireNonNull(sink, "sink"));
    return this;
  }

  /**
   * Sets an OpenTelemetry exporter as a sink (through {@link SpanExporterSink}), replacing one set
   * before by this method. Sinks added with {@link #addSink} stay.
   *
   * @param exporter the exporter; shut down with the receiver
   * @return this builder
   */
  public SpanReceiverBuilder setSpanExporter(SpanExporter exporter) {
    Objects.requireNonNull(exporter, "exporter");
    exporterSink = SpanExporterSink.create(exporter);
    return this;
  }

  /**
   * Sets the largest frame payload accepted, checked before any memory is allocated. Default
   * {@value #DEFAULT_MAX_FRAME_LENGTH}.
   *
   * @param maxFrameLength between 1024 and {@value #MAX_FRAME_LENGTH_CAP} bytes
   * @return this builder
   */
  public SpanReceiverBuilder setMaxFrameLength(int maxFrameLength) {
    if (maxFrameLength < 1024 || maxFrameLength > MAX_FRAME_LENGTH_CAP) {
      throw new IllegalArgumentException(
          "maxFrameLength must be between 1024 and "
              + MAX_FRAME_LENGTH_CAP
              + ": "
              + maxFrameLength);
    }
    this.maxFrameLength = maxFrameLength;
    return this;
  }

  /**
   * Sets the most spans one SPANS frame may hold. Default {@value #DEFAULT_MAX_SPANS_PER_FRAME}.
   *
   * @param maxSpansPerFrame at least 1
   * @return this builder
   */
  public SpanReceiverBuilder setMaxSpansPerFrame(int maxSpansPerFrame) {
    if (maxSpansPerFrame < 1) {
      throw new IllegalArgumentException(
          "maxSpansPerFrame must be at least 1: " + maxSpansPerFrame);
    }
    this.maxSpansPerFrame = maxSpansPerFrame;
    return this;
  }

  /**
   * Sets the window: most un-acked SPANS frames per connection, announced in SERVER_HELLO. When a
   * connection's window is in the sinks, it is not read. Default {@value #DEFAULT_WINDOW}.
   *
   * @param window between 1 and 1024
   * @return this builder
   */
  public SpanReceiverBuilder setWindow(int window) {
    if (window < 1 || window > 1024) {
      throw new IllegalArgumentException("window must be between 1 and 1024: " + window);
    }
    this.window = window;
    return this;
  }

  /**
   * Sets the most open connections over all endpoints; more are closed on accept. Default {@value
   * #DEFAULT_MAX_CONNECTIONS}.
   *
   * @param maxConnections at least 1
   * @return this builder
   */
  public SpanReceiverBuilder setMaxConnections(int maxConnections) {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
    }
    this.maxConnections = maxConnections;
    return this;
  }

  /**
   * Sets the most open connections one peer may hold; more from that peer are closed on accept,
   * counted ({@code spantransport.receiver.refused}, reason {@code peer_connections}) and logged
   * (rate-limited), while other peers still connect. A peer is one VM for vsock (its CID), the VMM
   * behind one hybrid-vsock socket file, one user for Unix sockets (its uid, or its user name where
   * only that is known) and one address for TCP. Default {@value
   * #DEFAULT_MAX_CONNECTIONS_PER_PEER}, and never more than the max connections.
   *
   * @param maxConnectionsPerPeer at least 1
   * @return this builder
   */
  public SpanReceiverBuilder setMaxConnectionsPerPeer(int maxConnectionsPerPeer) {
    if (maxConnectionsPerPeer < 1) {
      throw new IllegalArgumentException(
          "maxConnectionsPerPeer must be at least 1: " + maxConnectionsPerPeer);
    }
    this.maxConnectionsPerPeer = maxConnectionsPerPeer;
    return this;
  }

  /**
   * Sets the bytes of the receive-buffer budget that the connections of one peer (as in {@link
   * #setMaxConnectionsPerPeer}) may hold together; a connection of a peer at its share stops being
   * read until the peer's memory frees, while other peers' connections go on. Must be at least
   * twice the max frame length and at most the budget (checked by {@link #build()}). Default a
   * quarter of the budget, but at least twice the max frame length.
   *
   * @param bytes positive
   * @return this builder
   */
  public SpanReceiverBuilder setPeerReceiveBufferBudget(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("peerReceiveBufferBudget must be positive: " + bytes);
    }
    this.peerReceiveBufferBudget = bytes;
    return this;
  }

  /**
   * Sets the bytes all connections together may hold beyond their base read buffers: grown read
   * buffers and payload copies waiting in sinks. When it is used up, connections stop being read
   * until memory frees. Must be at least twice the max frame length (checked by {@link #build()}).
   * Default 128 MiB.
   *
   * @param bytes positive
   * @return this builder
   */
  public SpanReceiverBuilder setReceiveBufferBudget(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("receiveBufferBudget must be positive: " + bytes);
    }
    this.receiveBufferBudget = bytes;
    return this;
  }

  /**
   * Sets the base read buffer of each connection; it grows only while a larger frame is read.
   * Default {@value #DEFAULT_READ_BUFFER_SIZE}.
   *
   * @param bytes between 64 and 1 MiB
   * @return this builder
   */
  public SpanReceiverBuilder setReadBufferSize(int bytes) {
    if (bytes < 64 || bytes > 1024 * 1024) {
      throw new IllegalArgumentException("readBufferSize must be between 64 and 1048576: " + bytes);
    }
    this.readBufferSize = bytes;
    return this;
  }

  /**
   * Sets how long a new connection may take to complete CLIENT_HELLO before it is closed. Default
   * 10 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public SpanReceiverBuilder setHandshakeTimeout(Duration timeout) {
    this.handshakeTimeout = positive(timeout, "handshakeTimeout");
    return this;
  }

  /**
   * Sets how long a connection with nothing in flight may stay silent before it is closed; zero
   * means never. Default 10 minutes.
   *
   * @param timeout zero or positive
   * @return this builder
   */
  public SpanReceiverBuilder setIdleTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("idleTimeout must not be negative: " + timeout);
    }
    this.idleTimeout = timeout;
    return this;
  }

  /**
   * Sets how long one frame may take to arrive, from its first byte to its last. A connection that
   * has not completed a frame in that time (a guest announcing a large frame and trickling it) gets
   * {@code ERROR(PROTOCOL_VIOLATION)} and is closed; bytes arriving do not extend the deadline, and
   * the time the receiver itself is not reading (window full, memory short) does not count. Default
   * 30 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public SpanReceiverBuilder setFrameTimeout(Duration timeout) {
    this.frameTimeout = positive(timeout, "frameTimeout");
    return this;
  }

  /**
   * Sets how long {@link SpanReceiver#shutdown()} waits for batches in the sinks. Default 10 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public SpanReceiverBuilder setShutdownTimeout(Duration timeout) {
    this.shutdownTimeout = positive(timeout, "shutdownTimeout");
    return this;
  }

  /**
   * Sets how many guest sessions are remembered for dedupe (least recently used forgotten first,
   * but never one a live connection uses: with more live sessions than this, all of them are kept).
   * Default {@value #DEFAULT_SESSION_TABLE_SIZE}.
   *
   * @param size at least 1
   * @return this builder
   */
  public SpanReceiverBuilder setSessionTableSize(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("sessionTableSize must be at least 1: " + size);
    }
    this.sessionTableSize = size;
    return this;
  }

  /**
   * Sets a resolver that adds identity attributes per guest (e.g. CID to sandbox id).
   *
   * @param resolver the resolver
   * @return this builder
   */
  public SpanReceiverBuilder setIdentityResolver(GuestIdentityResolver resolver) {
    this.identityResolver = Objects.requireNonNull(resolver, "resolver");
    return this;
  }

  /**
   * Sets the decoder for connections that speak the legacy Kata agent framing. Without one, such
   * connections are closed with a logged reason.
   *
   * @param decoder the decoder
   * @return this builder
   */
  public SpanReceiverBuilder setLegacyFrameDecoder(LegacyFrameDecoder decoder) {
    this.legacyFrameDecoder = Objects.requireNonNull(decoder, "decoder");
    return this;
  }

  /**
   * Sets the permissions of unix and hybrid-vsock socket files. The file appears at its path with
   * them (the socket is bound in an owner-only directory beside it, given these permissions, then
   * linked into place), so it is never reachable with the umask's. Default owner read and write
   * only ({@code rw-------}).
   *
   * @param permissions the permissions
   * @return this builder
   */
  public SpanReceiverBuilder setSocketFilePermissions(Set<PosixFilePermission> permissions) {
    Objects.requireNonNull(permissions, "permissions");
    this.socketFilePermissions =
        permissions.isEmpty()
            ? EnumSet.noneOf(PosixFilePermission.class)
            : EnumSet.copyOf(permissions);
    return this;
  }

  /**
   * Sets where self-metrics go. Default none.
   *
   * @param meterProvider the provider
   * @return this builder
   */
  public SpanReceiverBuilder setMeterProvider(MeterProvider meterProvider) {
    this.meterProvider = Objects.requireNonNull(meterProvider, "meterProvider");
    return this;
  }

  /**
   * Sets the limits every guest span is held to before any sink sees it, as the SDK applies them
   * where spans are made: attributes per span (also per resource and per instrumentation scope),
   * events, links, attributes per event and per link, and the length of string attribute values.
   * The first ones are kept; what is over is removed from the payload (for passthrough sinks too)
   * and added to the message's {@code dropped_*_count}. They are checked in the pass that counts
   * the spans, so a frame of millions of tiny events never becomes millions of objects. Default
   * {@link SpanLimits#getDefault()} (128 of each, value length unlimited).
   *
   * @param spanLimits the limits
   * @return this builder
   */
  public SpanReceiverBuilder setSpanLimits(SpanLimits spanLimits) {
    this.spanLimits = Objects.requireNonNull(spanLimits, "spanLimits");
    return this;
  }

  /**
   * Builds the receiver; {@link SpanReceiver#start()} binds it.
   *
   * @return a new receiver
   * @throws IllegalStateException if no endpoint or no sink of any signal is set, a legacy frame
   *     decoder is set without a span sink, or the budget is below twice the max frame length
   */
  public SpanReceiver build() {
    if (endpoints.isEmpty()) {
      throw new IllegalStateException("at least one endpoint must be added");
    }
    List<SpanSink> allSinks = new ArrayList<>(sinks);
    if (exporterSink != null) {
      allSinks.add(exporterSink);
    }
    if (allSinks.isEmpty() && logSinks.isEmpty() && metricSinks.isEmpty()) {
      throw new IllegalStateException(
          "at least one sink (span, log or metric) or span exporter must be set");
    }
    if (allSinks.isEmpty() && legacyFrameDecoder != null) {
      throw new IllegalStateException(
          "a legacy frame decoder delivers spans: it needs a span sink or span exporter");
    }
    if (receiveBufferBudget < 2L * maxFrameLength) {
      throw new IllegalStateException(
          "receiveBufferBudget must be at least twice maxFrameLength ("
              + 2L * maxFrameLength
              + "): "
              + receiveBufferBudget);
    }
    long peerBudget =
        peerReceiveBufferBudget > 0
            ? peerReceiveBufferBudget
            : Math.min(receiveBufferBudget, Math.max(receiveBufferBudget / 4, 2L * maxFrameLength));
    if (peerBudget < 2L * maxFrameLength || peerBudget > receiveBufferBudget) {
      throw new IllegalStateException(
          "peerReceiveBufferBudget must be between twice maxFrameLength ("
              + 2L * maxFrameLength
              + ") and receiveBufferBudget ("
              + receiveBufferBudget
              + "): "
              + peerBudget);
    }
    return new SpanReceiver(
        new ReceiverConfig(
            Collections.unmodifiableList(new ArrayList<>(endpoints)),
            Collections.unmodifiableList(allSinks),
            maxFrameLength,
            maxSpansPerFrame,
            window,
            maxConnections,
            Math.min(maxConnections, maxConnectionsPerPeer),
            receiveBufferBudget,
            peerBudget,
            readBufferSize,
            handshakeTimeout,
            idleTimeout,
            frameTimeout,
            sessionTableSize,
            identityResolver,
            legacyFrameDecoder,
            Collections.unmodifiableSet(EnumSet.copyOf(nonEmpty(socketFilePermissions))),
            meterProvider,
            shutdownTimeout,
            spanLimits,
            List.copyOf(logSinks),
            List.copyOf(metricSinks)));
  }

  private static Set<PosixFilePermission> nonEmpty(Set<PosixFilePermission> permissions) {
    return permissions.isEmpty() ? EnumSet.noneOf(PosixFilePermission.class) : permissions;
  }

  static String describe(ReceiverConfig c) {
    // Note: sinks are printed by their own toString(), which hides their credentials.
    return new StringJoiner(", ", "{", "}")
        .add("endpoints=" + c.endpoints())
        .add("sinks=" + c.sinks())
        .add("logSinks=" + c.logSinks())
        .add("metricSinks=" + c.metricSinks())
        .add("maxFrameLength=" + c.maxFrameLength())
        .add("maxSpansPerFrame=" + c.maxSpansPerFrame())
        .add("window=" + c.window())
        .add("maxConnections=" + c.maxConnections())
        .add("maxConnectionsPerPeer=" + c.maxConnectionsPerPeer())
        .add("receiveBufferBudget=" + c.receiveBufferBudget())
        .add("peerReceiveBufferBudget=" + c.peerReceiveBufferBudget())
        .add("readBufferSize=" + c.initialReadBufferSize())
        .add("handshakeTimeout=" + c.handshakeTimeout())
        .add("idleTimeout=" + c.idleTimeout())
        .add("frameTimeout=" + c.frameTimeout())
        .add("shutdownTimeout=" + c.shutdownTimeout())
        .add("sessionTableSize=" + c.sessionTableSize())
        .add("identityResolver=" + (c.identityResolver() != null))
        .add("legacyFrameDecoder=" + (c.legacyFrameDecoder() != null))
        .add("socketFilePermissions=" + PosixFilePermissions.toString(c.socketFilePermissions()))
        .add("meterProvider=" + (c.meterProvider() != null))
        .add("spanLimits=" + c.spanLimits())
        .toString();
  }

  @Override
  public String toString() {
    return "SpanReceiverBuilder{endpoints="
        + endpoints
        + ", sinks="
        + sinks.size()
        + ", logSinks="
        + logSinks.size()
        + ", metricSinks="
        + metricSinks.size()
        + "}";
  }

  private static Duration positive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }
}
