package dev.spantransport.vsock.host;

import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.SpanTransports;
import dev.spantransport.vsock.host.internal.Listener;
import dev.spantransport.vsock.host.internal.LoopRunner;
import dev.spantransport.vsock.host.internal.ReceiveLoop;
import dev.spantransport.vsock.host.internal.ReceiverConfig;
import dev.spantransport.vsock.host.internal.ReceiverContext;
import dev.spantransport.vsock.socket.SocketFiles;
import dev.spantransport.vsock.socket.internal.SocketFileTransport;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Receives span batches from many guests over VSOCK, hybrid vsock, Unix or TCP sockets and hands
 * them to {@link SpanSink}s; the host side of span-transport.
 *
 * <pre>{@code
 * SpanReceiver receiver = SpanReceiver.builder()
 *     .addEndpoint("vsock://any:4317")
 *     .setSpanExporter(OtlpGrpcSpanExporter.getDefault())
 *     .build();
 * receiver.start().join(10, TimeUnit.SECONDS);
 * }</pre>
 *
 * <h2>Delivery</h2>
 *
 * A SPANS frame is acknowledged only after every sink accepted it (at-least-once end to end).
 * Resends of an acknowledged batch (same session id and sequence) are acknowledged again without
 * reaching the sinks, and so are resends of a batch still in the sinks on an earlier connection of
 * the same session: they wait for that first delivery instead (effectively once). If a sink fails,
 * the guest gets {@code ERROR(SINK_UNAVAILABLE)} for that sequence and resends it; the receiver
 * does not retry on its own. If a sink refuses a batch for good (its result fails with a {@link
 * dev.spantransport.sink.BatchRejectedException}), the guest gets {@code ERROR(BATCH_REJECTED)},
 * the batch is counted as rejected ({@code reason=sink_rejected}) and acknowledged past, and the
 * batches behind it flow on. A PING is answered even while a connection's window is full.
 *
 * <h2>Guest identity</h2>
 *
 * Every batch carries resource attributes from the transport, never from the payload: {@code
 * spantransport.peer.transport}, and as the transport allows {@code spantransport.peer.cid}, {@code
 * .port}, {@code .socket_path}, {@code .pid}, {@code .uid}, {@code .address}; plus those of an
 * optional {@link GuestIdentityResolver}. Sinks overwrite same-named payload attributes and drop
 * every payload attribute under {@code spantransport.peer.}.
 *
 * <h2>Resources</h2>
 *
 * Non-blocking I/O with one thread per selector provider (one for all JDK sockets, one for
 * AF_VSOCK), no thread per connection. Per connection: a small base read buffer that grows only for
 * the frame being read, and at most {@code window} batches in the sinks. All growth and in-flight
 * copies draw from one receive-buffer budget; a connection that cannot get memory, or whose window
 * is full, stops being read (backpressure) until memory or window frees.
 */
public final class SpanReceiver implements Closeable {

  private static final Logger logger = Logger.getLogger(SpanReceiver.class.getName());

  private final ReceiverConfig config;
  private final ReceiverContext context;
  private final List<ReceiveLoop> loops = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private volatile CompletableResultCode shutdownResult;

  SpanReceiver(ReceiverConfig config) {
    this.config = config;
    this.context = new ReceiverContext(config);
  }

  /**
   * Returns a new builder.
   *
   * @return a builder with the defaults documented on its setters
   */
  public static SpanReceiverBuilder builder() {
    return new SpanReceiverBuilder();
  }

  /**
   * Binds every endpoint and starts the I/O threads. Unix and hybrid-vsock socket files appear with
   * the configured permissions (they are never reachable with the umask's); a stale socket file
   * (one whose connect is refused) is replaced, one in use, one that cannot be probed or a file
   * that is not a socket is left alone and is an error. If any endpoint cannot be bound, everything
   * bound so far is closed and the result fails.
   *
   * @return a result that is already complete: success once listening
   */
  public CompletableResultCode start() {
    if (!started.compareAndSet(false, true)) {
      logger.log(Level.INFO, "start called twice; ignoring");
      return CompletableResultCode.ofSuccess();
    }
    Map<SelectorProvider, ReceiveLoop> byProvider = new LinkedHashMap<>();
    List<Listener> bound = new ArrayList<>();
    try {
      for (Endpoint endpoint : config.endpoints()) {
        Listener listener = bind(endpoint);
        bound.add(listener);
        SelectorProvider provider = listener.channel().provider();
        ReceiveLoop loop = byProvider.get(provider);
        if (loop == null) {
          loop = new ReceiveLoop(context, provider);
          byProvider.put(provider, loop);
          loops.add(loop);
        }
        loop.addListener(listener);
      }
    } catch (IOException | RuntimeException e) {
      logger.log(Level.SEVERE, "cannot start " + this, e);
      for (Listener l : bound) {
        closeListener(l);
      }
      for (ReceiveLoop loop : loops) {
        loop.close();
      }
      loops.clear();
      shutdown.set(true);
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    int n = 0;
    for (ReceiveLoop loop : loops) {
      Thread t = new Thread(new LoopRunner(loop), "span-receiver-" + n++);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    logger.log(Level.INFO, () -> "started " + this);
    return CompletableResultCode.ofSuccess();
  }

  private Listener bind(Endpoint endpoint) throws IOException {
    SpanTransport transport = SpanTransports.forEndpoint(endpoint);
    Path file = SocketFiles.socketFile(endpoint).orElse(null);
    ServerSocketChannel channel;
    if (file != null && transport instanceof SocketFileTransport) {
      // Created with its final permissions: never reachable with looser ones.
      channel = ((SocketFileTransport) transport).listen(endpoint, config.socketFilePermissions());
    } else {
      channel = transport.listen(endpoint);
      if (file != null) {
        try {
          SocketFiles.setPermissions(file, config.socketFilePermissions());
        } catch (IOException | RuntimeException e) {
          channel.close();
          Files.deleteIfExists(file);
          throw e;
        }
      }
    }
    return new Listener(endpoint, transport, channel, file);
  }

  private static void closeListener(Listener l) {
    try {
      l.channel().close();
    } catch (IOException e) {
      logger.log(Level.FINE, "close failed", e);
    }
    deleteSocketFile(l);
  }

  private static void deleteSocketFile(Listener l) {
    if (l.socketFile() != null) {
      try {
        if (l.transport() instanceof SocketFileTransport) {
          ((SocketFileTransport) l.transport()).deleteSocketFile(l.endpoint());
        } else {
          Files.deleteIfExists(l.socketFile());
        }
      } catch (IOException e) {
        logger.log(Level.WARNING, "cannot delete socket file " + l.socketFile(), e);
      }
    }
  }

  /**
   * Stops accepting, sends GOAWAY to every guest, waits up to the shutdown timeout for batches in
   * the sinks to complete (acknowledging them), closes every connection, deletes socket files, then
   * shuts the sinks down. A second call returns the first call's result.
   *
   * @return a result that completes when all of that is done
   */
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      CompletableResultCode previous = shutdownResult;
      return previous != null ? previous : CompletableResultCode.ofSuccess();
    }
    CompletableResultCode result = new CompletableResultCode();
    shutdownResult = result;
    long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
    List<CompletableResultCode> loopsDone = new ArrayList<>();
    for (ReceiveLoop loop : loops) {
      loopsDone.add(loop.shutdown(deadline));
    }
    CompletableResultCode.ofAll(loopsDone)
        .whenComplete(
            () -> {
              for (ReceiveLoop loop : loops) {
                for (Listener l : loop.listeners()) {
                  deleteSocketFile(l);
                }
              }
              List<CompletableResultCode> sinksDone = new ArrayList<>();
              // A sink of several signals (a passthrough) is shut down once.
              Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
              for (SpanSink sink : config.sinks()) {
                if (seen.add(sink)) {
                  sinksDone.add(shutdownSink(sink, sink::shutdown));
                }
              }
              for (LogSink sink : config.logSinks()) {
                if (seen.add(sink)) {
                  sinksDone.add(shutdownSink(sink, sink::shutdown));
                }
              }
              for (MetricSink sink : config.metricSinks()) {
                if (seen.add(sink)) {
                  sinksDone.add(shutdownSink(sink, sink::shutdown));
                }
              }
              CompletableResultCode.ofAll(sinksDone).whenComplete(result::succeed);
            });
    return result;
  }

  private CompletableResultCode shutdownSink(
      Object sink, Supplier<CompletableResultCode> shutdown) {
    try {
      CompletableResultCode done = shutdown.get();
      return done == null ? CompletableResultCode.ofFailure() : done;
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "sink " + sink + " failed to shut down", e);
      return CompletableResultCode.ofFailure();
    }
  }

  /** Shuts down and waits up to the shutdown timeout plus 5 seconds. */
  @Override
  public void close() {
    shutdown().join(config.shutdownTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
  }

  /** Returns the checked configuration (for tests that drive a receive loop themselves). */
  ReceiverConfig config() {
    return config;
  }

  /** Returns the configured endpoints. */
  public List<Endpoint> endpoints() {
    return config.endpoints();
  }

  /**
   * Returns the health of every connected guest: identity, connected since, last batch, batches not
   * yet acknowledged, batches acknowledged and batches dropped on its connection. A snapshot,
   * callable from any thread; the same figures are metrics ({@code spantransport.receiver.guest.*}
   * and the per-guest counters).
   */
  public List<GuestHealth> guests() {
    return context.guests();
  }

  /** Returns the number of open guest connections. */
  public int connectionCount() {
    return context.connectionCount();
  }

  /**
   * Returns the bytes currently held for guests: read buffers plus payload copies waiting in sinks.
   * Stays within the receive-buffer budget plus one base buffer per connection.
   */
  public long bufferedBytes() {
    return context.bufferedBytes();
  }

  /** Returns how many guest sessions the dedupe table remembers. */
  public int sessionCount() {
    return context.sessions().size();
  }

  @Override
  public String toString() {
    return "SpanReceiver" + SpanReceiverBuilder.describe(config);
  }

  static List<Endpoint> copy(List<Endpoint> endpoints) {
    return Collections.unmodifiableList(new ArrayList<>(endpoints));
  }
}
