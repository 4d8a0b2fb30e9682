package dev.spantransport.vsock.host.internal;

import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Level;

/**
 * One selector and every listener and connection on it; a stepping loop in the style of an Agrona
 * agent. {@link #doWork()} does one non-blocking round (accept, read, write, sink completions,
 * timers, shutdown) and returns how much it did; {@link LoopRunner} owns the thread and idles in
 * {@link #idle(long)} when there was nothing to do. Tests may call {@link #doWork()} directly.
 *
 * <p>Ready keys are taken with {@link Selector#select(Consumer, long)} and {@link
 * Selector#selectNow(Consumer)} into an array the loop keeps, so that a steady stream of batches
 * costs the JDK's selector no entry in a selected-key set and no iterator over it.
 *
 * <p>Channels from different {@link SelectorProvider}s (JDK sockets vs junixsocket AF_VSOCK) cannot
 * share a selector, so a receiver runs one loop per provider. A failure on one connection closes
 * only that connection; the loop itself never stops on bad input.
 *
 * <p>This class is internal and may change without notice.
 */
public final class ReceiveLoop implements AutoCloseable {

  private static final int MAX_ACCEPTS_PER_ROUND = 64;
  private static final long TIMER_PERIOD_NANOS = 100_000_000L;

  final ReceiverContext context;
  private final Selector selector;
  private final List<Listener> listeners = new ArrayList<>();
  private final List<Connection> connections = new ArrayList<>();
  private final ArrayDeque<Connection> dirty = new ArrayDeque<>();
  private final ArrayDeque<Connection> memoryWaiters = new ArrayDeque<>();
  private final AtomicReference<Slot> completions = new AtomicReference<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  // keys the last select reported, handled in order by the next doWork(): ready[readyNext..)
  private SelectionKey[] ready = new SelectionKey[16];
  private int readyCount;
  private int readyNext;
  private final Consumer<SelectionKey> collectReady = this::collectReady; // one for the loop's life
  private final CompletableResultCode terminated = new CompletableResultCode();
  private volatile long shutdownDeadline;
  private volatile boolean shutdownRequested;
  private volatile Thread thread;
  private boolean draining;
  private boolean closed;
  private long lastReleaseCount;
  private long nextTimer;
  private long now = System.nanoTime();

  /**
   * Opens a loop on {@code provider}'s selector.
   *
   * @param context the receiver's shared state
   * @param provider the provider of every channel this loop will serve
   * @throws IOException if the selector cannot be opened
   */
  public ReceiveLoop(ReceiverContext context, SelectorProvider provider) throws IOException {
    this.context = context;
    this.selector = provider.openSelector();
  }

  /**
   * Adds a bound listener; call before the loop runs.
   *
   * @param listener the listener; its channel must come from this loop's provider
   * @throws IOException if it cannot be registered
   */
  public void addListener(Listener listener) throws IOException {
    listener.channel().configureBlocking(false);
    listener.channel().register(selector, SelectionKey.OP_ACCEPT, listener);
    listeners.add(listener);
  }

  /** Returns the listeners of this loop. */
  public List<Listener> listeners() {
    return listeners;
  }

  long now() {
    return now;
  }

  /**
   * Does one round of work without blocking.
   *
   * @return how many events were handled; 0 when idle
   */
  public int doWork() {
    if (closed) {
      return 0;
    }
    if (thread == null) {
      thread = Thread.currentThread();
    }
    now = System.nanoTime();
    int work = 0;
    try {
      // idle() may already have collected ready keys. Handle those first: a hang-up junixsocket's
      // selector reported (an invalidated key) is never reported again.
      if (readyNext == readyCount) {
        selector.selectNow(collectReady);
      }
      if (readyNext < readyCount) {
        work += handleSelected();
      }
    } catch (IOException | ClosedSelectorException e) {
      context.connectionLog.log(Level.SEVERE, "selector failed", e);
    }
    work += drainCompletions();
    work += retryMemoryWaiters();
    flushDirty();
    if (now - nextTimer >= 0) {
      nextTimer = now + TIMER_PERIOD_NANOS;
      for (int i = connections.size() - 1; i >= 0; i--) {
        if (i < connections.size()) {
          Connection c = connections.get(i);
          try {
            c.onTimer(now);
          } catch (RuntimeException e) {
            crashed(c, e);
          }
        }
      }
      flushDirty();
    }
    if (shutdownRequested) {
      work += stepShutdown();
    }
    return work;
  }

  /**
   * Blocks until an event arrives, a sink completes, or {@code millis} pass.
   *
   * @param millis longest wait
   */
  public void idle(long millis) {
    if (closed) {
      return;
    }
    try {
      if (completions.get() == null && readyNext == readyCount) {
        selector.select(collectReady, millis);
      }
    } catch (IOException | ClosedSelectorException e) {
      context.connectionLog.log(Level.SEVERE, "selector failed", e);
    }
  }

  /** Called by the selector for each ready key, on the loop thread, inside a select. */
  private void collectReady(SelectionKey key) {
    if (readyCount == ready.length) {
      ready = Arrays.copyOf(ready, 2 * ready.length);
    }
    ready[readyCount++] = key;
  }

  private int handleSelected() {
    int work = 0;
    while (readyNext < readyCount) {
      SelectionKey key = ready[readyNext];
      ready[readyNext++] = null; // no closed connection stays reachable from here
      Object attachment = key.attachment();
      if (attachment instanceof Listener) {
        if (key.isValid() && key.isAcceptable()) {
          work += accept((Listener) attachment);
        }
        continue;
      }
      Connection c = (Connection) attachment;
      try {
        if (!key.isValid()) {
          // junixsocket's selector invalidates the key of a guest that hung up, bytes unread.
          c.onHangUp();
          work++;
          continue;
        }
        if (key.isWritable()) {
          c.flush();
          work++;
        }
        if (key.isValid() && key.isReadable()) {
          work += c.onReadable();
        }
      } catch (IOException e) {
        c.closeNow(Level.FINE, null, "I/O error: " + e.getMessage());
      } catch (RuntimeException e) {
        crashed(c, e);
      }
    }
    readyCount = 0;
    readyNext = 0;
    return work;
  }

  private void crashed(Connection c, RuntimeException e) {
    context.connectionLog.log(
        Level.SEVERE, "closing connection from " + c.label + " after an internal error", e);
    c.closeNow(Level.FINE, "internal", "internal error");
  }

  private int accept(Listener listener) {
    int accepted = 0;
    while (accepted < MAX_ACCEPTS_PER_ROUND && !draining) {
      SocketChannel channel;
      try {
        channel = listener.channel().accept();
      } catch (IOException e) {
        context.connectionLog.log(Level.WARNING, "accept on " + listener.endpoint() + " failed", e);
        return accepted;
      }
      if (channel == null) {
        return accepted;
      }
      accepted++;
      if (context.connections.incrementAndGet() > context.config.maxConnections()) {
        context.connections.decrementAndGet();
        context.metrics.refused(listener.transport().name(), "max_connections");
        context.connectionLog.log(
            Level.WARNING,
            "refusing connection on "
                + listener.endpoint()
                + ": max connections "
                + context.config.maxConnections()
                + " reached");
        closeQuietly(channel);
        continue;
      }
      try {
        if (!register(listener, channel)) {
          context.connections.decrementAndGet();
          closeQuietly(channel);
        }
      } catch (IOException | RuntimeException e) {
        context.connections.decrementAndGet();
        context.connectionLog.log(
            Level.WARNING,
            "refusing connection on "
                + listener.endpoint()
                + ": cannot identify or register the peer: "
                + e,
            null);
        closeQuietly(channel);
      }
    }
    return accepted;
  }

  /**
   * Identifies the peer and registers its connection; false if the peer already has the most
   * connections one peer may have (refused, counted and logged here).
   */
  private boolean register(Listener listener, SocketChannel channel) throws IOException {
    channel.configureBlocking(false);
    PeerIdentity peer = listener.transport().peerIdentity(channel, listener.endpoint());
    String peerKey = PeerLimits.keyOf(peer);
    PeerLimits.Peer share = context.peers.open(peerKey);
    if (share == null) {
      context.metrics.refused(peer.transport(), "peer_connections");
      context.connectionLog.log(
          Level.WARNING,
          "refusing connection from "
              + peerKey
              + " on "
              + listener.endpoint()
              + ": that peer already has max connections per peer "
              + context.peers.maxConnections());
      return false;
    }
    Attributes identity = peer.attributes();
    try {
      if (context.config.identityResolver() != null) {
        Attributes extra = context.config.identityResolver().resolve(peer);
        if (extra != null && !extra.isEmpty()) {
          // Transport facts win over resolver attributes of the same name.
          identity = extra.toBuilder().putAll(peer.attributes()).build();
        }
      }
    } catch (RuntimeException e) {
      context.peers.closed(share);
      throw e;
    }
    Connection c = new Connection(this, channel, peer, share, identity, now);
    try {
      c.key = channel.register(selector, SelectionKey.OP_READ, c);
    } catch (IOException | RuntimeException e) {
      c.close(); // returns the memory and the peer slot the constructor took; the caller closes
      throw e;
    }
    c.index = connections.size();
    connections.add(c);
    context.metrics.connectionOpened(c.guest);
    c.updateInterest();
    return true;
  }

  /** Called by a connection as it closes. */
  void removed(Connection c) {
    int i = c.index;
    if (i >= 0 && i < connections.size() && connections.get(i) == c) {
      Connection last = connections.remove(connections.size() - 1);
      if (last != c) {
        connections.set(i, last);
        last.index = i;
      }
      c.index = -1;
      context.connections.decrementAndGet();
      context.metrics.connectionClosed(c.guest);
    }
  }

  void markDirty(Connection c) {
    dirty.add(c);
  }

  private void flushDirty() {
    Connection c;
    while ((c = dirty.poll()) != null) {
      try {
        c.flush();
      } catch (RuntimeException e) {
        crashed(c, e);
      }
    }
  }

  void waitForMemory(Connection c) {
    memoryWaiters.add(c);
  }

  private int retryMemoryWaiters() {
    if (memoryWaiters.isEmpty()) {
      return 0;
    }
    long releases = context.budget.releaseCount();
    if (releases == lastReleaseCount) {
      return 0;
    }
    lastReleaseCount = releases;
    int n = memoryWaiters.size();
    for (int i = 0; i < n; i++) {
      Connection c = memoryWaiters.poll();
      if (c != null && !c.isClosed()) {
        try {
          c.memoryAvailable();
        } catch (RuntimeException e) {
          crashed(c, e);
        }
      }
    }
    return n;
  }

  /** Called from any thread when every sink finished with {@code slot}. */
  void completed(Slot slot) {
    Slot head;
    do {
      head = completions.get();
      slot.nextDone = head;
    } while (!completions.compareAndSet(head, slot));
    if (Thread.currentThread() != thread && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  private int drainCompletions() {
    wakeupPending.set(false);
    Slot slot = completions.getAndSet(null);
    int work = 0;
    while (slot != null) {
      Slot next = slot.nextDone;
      slot.nextDone = null;
      try {
        slot.connection.onSlotDone(slot);
      } catch (RuntimeException e) {
        crashed(slot.connection, e);
      }
      slot = next;
      work++;
    }
    return work;
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Asks the loop to stop accepting, send GOAWAY and drain; from any thread.
   *
   * @param deadlineNanos {@link System#nanoTime()} value after which connections are closed anyway
   * @return a result that completes when the loop has closed everything
   */
  public CompletableResultCode shutdown(long deadlineNanos) {
    shutdownDeadline = deadlineNanos;
    shutdownRequested = true;
    selector.wakeup();
    return terminated;
  }

  /** Returns true once the loop has closed every channel. */
  public boolean isClosed() {
    return closed;
  }

  private int stepShutdown() {
    if (!draining) {
      draining = true;
      for (Listener l : listeners) {
        closeQuietly(l.channel());
      }
      for (int i = connections.size() - 1; i >= 0; i--) {
        if (i < connections.size()) {
          connections.get(i).goAway();
        }
      }
      flushDirty();
      return 1;
    }
    boolean pending = false;
    for (Connection c : connections) {
      if (c.hasPendingSlots()) {
        pending = true;
        break;
      }
    }
    if (connections.isEmpty() || (!pending && dirty.isEmpty()) || now - shutdownDeadline > 0) {
      if (!connections.isEmpty() && pending) {
        context.connectionLog.log(
            Level.WARNING,
            "shutdown deadline reached with batches still in sinks; closing "
                + connections.size()
                + " connections");
      }
      close();
      return 1;
    }
    return 0;
  }

  /** Closes every listener and connection and the selector. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    for (Listener l : listeners) {
      closeQuietly(l.channel());
    }
    for (int i = connections.size() - 1; i >= 0; i--) {
      if (i < connections.size()) {
        Connection c = connections.get(i);
        c.flush();
        c.close();
      }
    }
    closed = true;
    try {
      selector.close();
    } catch (IOException e) {
      context.connectionLog.log(Level.FINE, "selector close failed", e);
    }
    terminated.succeed();
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing more to do for a channel we are dropping
    }
  }

  /** Returns the connections of this loop (loop thread only). */
  int connectionCount() {
    return connections.size();
  }
}
