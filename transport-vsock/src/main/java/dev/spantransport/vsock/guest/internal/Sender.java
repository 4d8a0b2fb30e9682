package dev.spantransport.vsock.guest.internal;

import dev.spantransport.text.RateLimitedLogger;
import dev.spantransport.vsock.guest.ExporterState;
import dev.spantransport.wire.Capabilities;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.ErrorFrame;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameException;
import dev.spantransport.wire.FrameHandler;
import dev.spantransport.wire.FrameReader;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.ServerHello;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The exporter's one daemon thread: connects with backoff, says hello, writes SPANS frames from the
 * {@link InflightWindow} within the host's window, reads ACK, ERROR, PING and GOAWAY, and resends
 * every unacknowledged batch after a reconnect. All socket I/O of an exporter happens here, on a
 * non-blocking channel and a selector; application threads only touch the window.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class Sender implements Runnable, FrameHandler {

  private static final Logger logger = Logger.getLogger(Sender.class.getName());

  /**
   * Given to {@link Selector#select(Consumer, long)}: the one key's ready operations are read from
   * the key after the select, so nothing is collected, and the JDK's selector adds no entry to a
   * selected-key set per wakeup.
   */
  private static final Consumer<SelectionKey> READY_OPS_ON_KEY = key -> {};

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Limit on frames from the host: control frames only, so small. */
  static final int MAX_HOST_FRAME_LENGTH = 64 * 1024;

  /** Send buffer asked for on every connection. */
  static final int SEND_BUFFER_BYTES = 1024 * 1024;

  private static final int AWAIT_HELLO = 1;
  private static final int READY = 2;

  private final String endpoint;
  private final ChannelOpener opener;
  private final InflightWindow window;
  private final ExporterMetrics metrics;
  private final long connectTimeoutNanos;
  private final long timeoutNanos;
  private final Backoff backoff;
  private final ClientHello clientHello;
  private final int maxBatches;
  private final RateLimitedLogger throttled = new RateLimitedLogger(logger, 5, 60_000);
  private final Thread thread;

  private volatile boolean stopping;
  private volatile Selector selector;
  private volatile int maxPayloadHint = FrameDescriptor.DEFAULT_MAX_FRAME_LENGTH;
  private volatile int maxSpansHint = FrameDescriptor.DEFAULT_MAX_SPANS_PER_FRAME;
  private volatile boolean connected;
  private volatile long capabilities; // what the last SERVER_HELLO accepted of our offer
  private volatile ExporterState health = ExporterState.CONNECTING;
  private final Object stateMonitor = new Object();

  // connection state: sender thread only
  private SocketChannel channel;
  private SelectionKey key;
  private FrameReader reader;
  private ByteBuffer readBuffer = ByteBuffer.allocate(1024);
  private final ByteBuffer control = ByteBuffer.allocate(1024);
  private Batch current;
  private ByteBuffer currentFrame;
  private int state;
  private int sendWindow;
  private int maxPayload;
  private int maxSpans;
  private long lastSent;
  private long highestSent; // highest sequence handed to any connection of this session
  private final long[] unacked; // sequences sent and not yet acked on this connection
  private int unackedHead;
  private int unackedSize;
  private long goAwaySequence = -1;
  private long helloDeadline;
  private long lastReadNanos;
  private boolean pingOutstanding;
  private long pingSentNanos;
  private long pingNonce;
  private String closeReason;
  private boolean closeMaxBackoff;
  private long nextAttemptNanos;
  private boolean everConnected;
  private boolean refusedSinceAck;
  private long highestAcked;

  /** Creates the sender; {@link #start()} starts its thread. */
  public Sender(
      String endpoint,
      ChannelOpener opener,
      InflightWindow window,
      ExporterMetrics metrics,
      int maxBatches,
      Duration connectTimeout,
      Duration timeout,
      Backoff backoff,
      String agentName) {
    this.endpoint = endpoint;
    this.opener = opener;
    this.window = window;
    this.metrics = metrics;
    this.maxBatches = maxBatches;
    this.unacked = new long[maxBatches];
    this.connectTimeoutNanos = connectTimeout.toNanos();
    this.timeoutNanos = timeout.toNanos();
    this.backoff = backoff;
    // Offers logs and metrics: a channel may carry them (VsockLogRecordExporter,
    // VsockMetricExporter); LOGS and METRICS frames go only to a host that accepted them.
    this.clientHello =
        ClientHello.create(
            FrameDescriptor.MIN_SUPPORTED_VERSION,
            FrameDescriptor.MAX_SUPPORTED_VERSION,
            SessionId.random(),
            Capabilities.LOGS | Capabilities.METRICS,
            agentName);
    this.thread = new Thread(this, "span-transport-vsock-exporter-" + THREADS.incrementAndGet());
    this.thread.setDaemon(true);
  }

  /** Starts the sender thread. */
  public void start() {
    thread.start();
  }

  /** Returns the sender thread. */
  public Thread thread() {
    return thread;
  }

  /** Returns this exporter's session id. */
  public SessionId sessionId() {
    return clientHello.sessionId();
  }

  /**
   * Returns the capability bits the host accepted in its last SERVER_HELLO ({@code
   * Capabilities.LOGS}, {@code .METRICS}); 0 before the first one.
   */
  public long capabilities() {
    return capabilities;
  }

  /** Returns whether a connection has completed its handshake and is usable now. */
  public boolean isConnected() {
    return connected;
  }

  /** Returns what the exporter is doing now. */
  public ExporterState state() {
    return health;
  }

  /**
   * Waits until a host has answered the handshake, at most {@code timeout}; returns whether one
   * did.
   */
  public boolean awaitConnected(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    synchronized (stateMonitor) {
      while (!connected) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || health == ExporterState.SHUT_DOWN) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(stateMonitor, left);
      }
      return true;
    }
  }

  /** Records that the exporter is shutting down; no other state follows. */
  public void markShutDown() {
    transition(ExporterState.SHUT_DOWN, null);
  }

  /**
   * Moves to {@code next} and, if that is a change, logs it once: a warning when spans are at risk
   * (no host, connection lost, window overflowing), info when they flow again.
   */
  private void transition(ExporterState next, String detail) {
    if (health == next) {
      return;
    }
    metrics.stateChanged(); // the state gauge exists before anyone can see the new state
    ExporterState previous;
    synchronized (stateMonitor) {
      previous = health;
      if (previous == next || previous == ExporterState.SHUT_DOWN) {
        return;
      }
      health = next;
      stateMonitor.notifyAll();
    }
    switch (next) {
      case NO_HOST:
        logger.log(
            Level.WARNING,
            "span-transport host is not reachable at "
                + endpoint
                + " ("
                + detail
                + "); spans are kept in the in-flight window until it is full"
                + " and the exporter keeps retrying in the background");
        break;
      case CONNECTING:
        if (previous == ExporterState.CONNECTED || previous == ExporterState.BACKPRESSURED) {
          logger.log(
              Level.WARNING,
              "span-transport lost its connection to "
                  + endpoint
                  + " ("
                  + detail
                  + "); "
                  + window.spans()
                  + " unacknowledged spans will be resent after reconnecting");
        }
        break;
      case CONNECTED:
        if (previous == ExporterState.BACKPRESSURED) {
          logger.log(
              Level.INFO,
              "span-transport host at " + endpoint + " is keeping up again; no more drops");
        } else if (previous == ExporterState.NO_HOST || everConnected) {
          logger.log(Level.INFO, "span-transport host at " + endpoint + " is reachable again");
        } else {
          logger.log(Level.FINE, "span-transport connected to " + endpoint);
        }
        break;
      case BACKPRESSURED:
        logger.log(
            Level.WARNING,
            "span-transport in-flight window is full: the host at "
                + endpoint
                + " acknowledges more slowly than spans are exported; spans are dropped"
                + " (counted) until it catches up");
        break;
      default:
        logger.log(Level.FINE, "span-transport exporter for " + endpoint + " is " + next);
    }
  }

  /** Returns the largest payload the host accepts, as of the last handshake. */
  public int maxPayloadHint() {
    return maxPayloadHint;
  }

  /** Returns the most spans per frame the host accepts, as of the last handshake. */
  public int maxSpansHint() {
    return maxSpansHint;
  }

  /** Wakes the thread: new batches, a new flush deadline or a stop request. */
  public void wakeup() {
    LockSupport.unpark(thread);
    Selector s = selector;
    if (s != null) {
      try {
        s.wakeup();
      } catch (RuntimeException ignored) {
        // closed concurrently; the loop notices by itself
      }
    }
  }

  /**
   * Stops the thread, closing the connection, and waits for it to end at most {@code timeout}.
   * Returns whether it ended.
   */
  public boolean stop(long timeout, TimeUnit unit) throws InterruptedException {
    stopping = true;
    wakeup();
    thread.interrupt(); // ends a blocking connect attempt
    thread.join(Math.max(1, unit.toMillis(timeout)));
    return !thread.isAlive();
  }

  @Override
  public void run() {
    try {
      while (!stopping) {
        long now = System.nanoTime();
        long flushDeadline = window.expireFlushes(now, Long.MAX_VALUE);
        if (channel == null) {
          long wait = nextAttemptNanos - now;
          if (wait > 0) {
            if (flushDeadline != Long.MAX_VALUE) {
              wait = Math.min(wait, Math.max(0, flushDeadline - now) + 1);
            }
            LockSupport.parkNanos(this, wait);
            continue;
          }
          connect();
        } else {
          step(now, flushDeadline);
          if (connected) {
            transition(
                window.overflowed() ? ExporterState.BACKPRESSURED : ExporterState.CONNECTED, null);
          }
        }
      }
    } catch (RuntimeException | Error e) {
      logger.log(Level.SEVERE, "span-transport exporter thread failed; no more spans are sent", e);
    } finally {
      closeChannel();
      connected = false;
    }
  }

  private void connect() {
    SocketChannel ch = null;
    try {
      ch = opener.open(Duration.ofNanos(connectTimeoutNanos));
      ch.configureBlocking(false);
      widenSendBuffer(ch);
      Selector sel = ch.provider().openSelector();
      key = ch.register(sel, SelectionKey.OP_READ);
      channel = ch;
      selector = sel;
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      if (stopping) {
        return;
      }
      if (health != ExporterState.NO_HOST) {
        transition(ExporterState.NO_HOST, e.toString());
      } else if (logger.isLoggable(Level.FINE)) {
        logger.log(Level.FINE, "span-transport connect to " + endpoint + " failed: " + e);
      }
      nextAttemptNanos = System.nanoTime() + backoff.nextDelayNanos();
      return;
    }
    long now = System.nanoTime();
    reader = new FrameReader(MAX_HOST_FRAME_LENGTH);
    readBuffer.clear();
    control.clear();
    control.position(FrameWriter.writeClientHello(control.array(), 0, clientHello));
    state = AWAIT_HELLO;
    helloDeadline = now + connectTimeoutNanos;
    lastReadNanos = now;
    lastSent = 0;
    unackedHead = 0;
    unackedSize = 0;
    goAwaySequence = -1;
    pingOutstanding = false;
    closeReason = null;
    closeMaxBackoff = false;
  }

  /**
   * Asks for a send buffer that holds a few typical frames (a batch of 512 spans is about 240 KB),
   * so that a frame goes out in one or two writes instead of many; the kernel caps the request, and
   * a transport without the option keeps its default.
   */
  private static void widenSendBuffer(SocketChannel ch) {
    try {
      if (ch.supportedOptions().contains(StandardSocketOptions.SO_SNDBUF)
          && ch.getOption(StandardSocketOptions.SO_SNDBUF) < SEND_BUFFER_BYTES) {
        ch.setOption(StandardSocketOptions.SO_SNDBUF, SEND_BUFFER_BYTES);
      }
    } catch (IOException | RuntimeException e) {
      logger.log(Level.FINE, "span-transport could not widen the socket's send buffer", e);
    }
  }

  private void step(long now, long flushDeadline) {
    try {
      boolean wantWrite = hasOutput();
      key.interestOps(SelectionKey.OP_READ | (wantWrite ? SelectionKey.OP_WRITE : 0));
      long timeout = nextTimerNanos(now);
      if (flushDeadline != Long.MAX_VALUE) {
        timeout = Math.min(timeout, Math.max(0, flushDeadline - now));
      }
      selector.select(READY_OPS_ON_KEY, Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeout) + 1));
      if (stopping) {
        return;
      }
      if (!key.isValid()) {
        onHangUp();
      } else if (key.isReadable()) {
        read();
      }
      if (closeReason == null) {
        write();
      }
      if (closeReason == null) {
        checkTimers(System.nanoTime());
      }
    } catch (FrameException e) {
      closeReason = "host sent a bad frame: " + e.getMessage();
    } catch (IOException e) {
      closeReason = "connection failed: " + e;
    }
    if (closeReason != null) {
      disconnect();
    }
  }

  /**
   * The key turned invalid without this thread cancelling it: junixsocket's poll-based selector,
   * the one AF_VSOCK channels always use, does that to a channel whose peer hung up (POLLHUP), and
   * may close the channel too, instead of reporting it readable. Skipping the read would miss the
   * end of stream and spin on the hang-up until the PING timeout. Whatever the host wrote before
   * hanging up (its last ACKs, a GOAWAY) may still be in the socket: read it, then treat the
   * connection as closed by the host.
   */
  private void onHangUp() throws IOException {
    if (channel.isOpen()) {
      read();
    }
    if (closeReason == null) {
      closeReason = "host closed the connection";
    }
  }

  private boolean hasOutput() {
    if (current != null || control.position() > 0) {
      return true;
    }
    if (state != READY || goAwaySequence >= 0 || unackedSize >= sendWindow) {
      return false;
    }
    return window.hasReadyAfter(lastSent);
  }

  private void read() throws IOException {
    while (closeReason == null) {
      int n = channel.read(readBuffer);
      if (n < 0) {
        closeReason = "host closed the connection";
        return;
      }
      if (n == 0) {
        return;
      }
      lastReadNanos = System.nanoTime();
      readBuffer.flip();
      reader.read(readBuffer, this);
      readBuffer.compact();
      if (readBuffer.capacity() < reader.requiredCapacity()) {
        ByteBuffer bigger = ByteBuffer.allocate(reader.requiredCapacity());
        readBuffer.flip();
        bigger.put(readBuffer);
        readBuffer = bigger;
      }
    }
  }

  @Override
  public void onFrame(int type, long sequence, byte[] buffer, int offset, int length)
      throws IOException {
    if (closeReason != null) {
      return;
    }
    switch (type) {
      case FrameType.SERVER_HELLO:
        onServerHello(sequence, ServerHello.decode(buffer, offset, length));
        break;
      case FrameType.ACK:
        if (state != READY) {
          closeReason = "host sent ACK before SERVER_HELLO";
          return;
        }
        onAck(sequence);
        break;
      case FrameType.ERROR:
        onError(sequence, ErrorFrame.decode(buffer, offset, length));
        break;
      case FrameType.PING:
        if (goAwaySequence < 0 && control.remaining() >= FrameWriter.EMPTY_FRAME_LENGTH) {
          control.position(
              control.position()
                  + FrameWriter.writePong(control.array(), control.position(), sequence));
        }
        break;
      case FrameType.PONG:
        if (pingOutstanding && sequence == pingNonce) {
          pingOutstanding = false;
        }
        break;
      case FrameType.GOAWAY:
        goAwaySequence = sequence;
        logger.log(
            Level.INFO,
            "span-transport host at "
                + endpoint
                + " is going away ("
                + new String(buffer, offset, length, StandardCharsets.UTF_8)
                + "); reconnecting");
        break;
      default:
        closeReason = "host sent a frame a host must not send: " + FrameType.name(type);
    }
  }

  private void onServerHello(long acked, ServerHello hello) {
    if (state != AWAIT_HELLO) {
      closeReason = "host sent a second SERVER_HELLO";
      return;
    }
    if (hello.version() < clientHello.minVersion() || hello.version() > clientHello.maxVersion()) {
      closeReason = "host chose a version this exporter did not offer: " + hello.version();
      closeMaxBackoff = true;
      return;
    }
    if (acked > highestSent) {
      rejectAck("SERVER_HELLO", acked);
      return;
    }
    state = READY;
    sendWindow = Math.min(hello.window(), maxBatches);
    maxPayload = hello.maxFrameLength();
    maxSpans = hello.maxSpansPerFrame();
    maxPayloadHint = maxPayload;
    maxSpansHint = maxSpans;
    capabilities = hello.capabilities() & clientHello.capabilities();
    window.retireThrough(acked);
    if (!refusedSinceAck) {
      backoff.reset(); // after a refusal the backoff keeps growing until an ACK shows progress
    }
    if (everConnected) {
      metrics.reconnected();
    }
    connected = true;
    transition(ExporterState.CONNECTED, null);
    everConnected = true;
  }

  private void onAck(long sequence) {
    if (sequence > highestSent) {
      rejectAck("ACK", sequence);
      return;
    }
    while (unackedSize > 0 && unacked[unackedHead] <= sequence) {
      unackedHead = (unackedHead + 1) % unacked.length;
      unackedSize--;
    }
    window.retireThrough(sequence);
    if (sequence > highestAcked) {
      highestAcked = sequence;
      refusedSinceAck = false; // progress: the next reconnect starts from the initial backoff
    }
  }

  /**
   * A host that acknowledges a sequence this session never sent is broken or hostile: retiring on
   * its word would count batches as acked that it never received. Nothing is retired; the
   * connection is replaced after the longest backoff and the batches stay in the window.
   */
  private void rejectAck(String frame, long sequence) {
    throttled.log(
        Level.WARNING,
        "span-transport host at "
            + endpoint
            + " acknowledged sequences this exporter never sent ("
            + frame
            + " sequence must be at most "
            + highestSent
            + ": "
            + sequence
            + "); reconnecting");
    closeReason = "host acknowledged an unsent sequence";
    closeMaxBackoff = true;
  }

  private void onError(long sequence, ErrorFrame error) {
    int code = error.code();
    String text =
        "span-transport host at "
            + endpoint
            + " reported "
            + ErrorCode.name(code)
            + (sequence != 0 ? " for batch " + sequence : "")
            + ": "
            + error.message();
    if (!error.fatal()
        && (code == ErrorCode.MALFORMED_PAYLOAD
            || code == ErrorCode.TOO_MANY_SPANS
            || code == ErrorCode.BATCH_REJECTED)) {
      // Rejected for good (by the host, or by a sink for BATCH_REJECTED): the host's next ACK
      // covers the batch, which is counted as dropped then.
      window.reject(
          sequence,
          code == ErrorCode.BATCH_REJECTED
              ? ExporterMetrics.DropReason.SINK_REJECTED
              : ExporterMetrics.DropReason.REJECTED);
      throttled.log(Level.WARNING, text + "; the batch is dropped");
      return;
    }
    if (!error.fatal() && code == ErrorCode.SINK_UNAVAILABLE) {
      throttled.log(Level.FINE, text + "; resending after a reconnect");
      window.refused(sequence);
      refusedSinceAck = true; // reconnect with a growing backoff while the sink stays away
      closeReason = "host sink unavailable";
      return;
    }
    throttled.log(Level.WARNING, text);
    closeReason = "host reported " + ErrorCode.name(code);
    closeMaxBackoff = code == ErrorCode.UNSUPPORTED_VERSION;
  }

  private void write() throws IOException {
    while (true) {
      if (current != null) {
        channel.write(currentFrame);
        if (currentFrame.hasRemaining()) {
          return;
        }
        metrics.bytesSent(current.frameLength);
        window.doneWriting(current);
        current = null;
        currentFrame = null;
      }
      if (control.position() > 0) {
        control.flip();
        channel.write(control);
        control.compact();
        if (control.position() > 0) {
          return;
        }
      }
      if (state != READY || goAwaySequence >= 0 || unackedSize >= sendWindow) {
        return;
      }
      Batch batch = window.nextAfter(lastSent, maxPayload, maxSpans, capabilities, endpoint);
      if (batch == null) {
        return;
      }
      if (batch.sends > 1) {
        (batch.owner != null ? batch.owner : metrics).resent(batch.spanCount);
      }
      lastSent = batch.sequence;
      highestSent = Math.max(highestSent, batch.sequence);
      unacked[(unackedHead + unackedSize) % unacked.length] = batch.sequence;
      unackedSize++;
      current = batch;
      currentFrame = batch.frame();
    }
  }

  private long nextTimerNanos(long now) {
    long next = TimeUnit.SECONDS.toNanos(1);
    if (state == AWAIT_HELLO) {
      next = Math.min(next, helloDeadline - now);
    } else if (unackedSize > 0) {
      long since = pingOutstanding ? pingSentNanos : lastReadNanos;
      next = Math.min(next, since + timeoutNanos - now);
    }
    return Math.max(0, next);
  }

  private void checkTimers(long now) {
    if (state == AWAIT_HELLO) {
      if (now - helloDeadline >= 0) {
        closeReason = "no SERVER_HELLO within the connect timeout";
      }
      return;
    }
    if (goAwaySequence >= 0 && (unackedSize == 0 || unacked[unackedHead] > goAwaySequence)) {
      closeReason = "host went away";
      return;
    }
    if (unackedSize == 0) {
      pingOutstanding = false;
      return;
    }
    if (pingOutstanding) {
      if (now - pingSentNanos >= timeoutNanos) {
        closeReason =
            "host did not answer a PING within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                + " ms";
      }
    } else if (now - lastReadNanos >= timeoutNanos
        && control.remaining() >= FrameWriter.EMPTY_FRAME_LENGTH) {
      pingNonce++;
      pingOutstanding = true;
      pingSentNanos = now;
      control.position(
          control.position()
              + FrameWriter.writePing(control.array(), control.position(), pingNonce));
    }
  }

  private void disconnect() {
    String reason = closeReason;
    boolean wasReady = state == READY;
    closeChannel();
    connected = false;
    if (!stopping) {
      if (closeMaxBackoff) {
        backoff.maxOut();
      }
      nextAttemptNanos = System.nanoTime() + backoff.nextDelayNanos();
      if (wasReady) {
        transition(ExporterState.CONNECTING, reason);
      } else if (health != ExporterState.NO_HOST) {
        transition(ExporterState.NO_HOST, reason);
      }
      if (logger.isLoggable(Level.FINE)) {
        logger.log(Level.FINE, "span-transport connection to " + endpoint + " closed: " + reason);
      }
    }
  }

  private void closeChannel() {
    if (current != null) {
      window.doneWriting(current);
      current = null;
      currentFrame = null;
    }
    Selector sel = selector;
    selector = null;
    if (sel != null) {
      try {
        sel.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
    closeQuietly(channel);
    channel = null;
    key = null;
    state = 0;
    unackedSize = 0;
  }

  private static void closeQuietly(SocketChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }
}
