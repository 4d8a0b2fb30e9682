package dev.spantransport.vsock.host.internal;

import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.text.SafeText;
import dev.spantransport.vsock.host.GuestHealth;
import dev.spantransport.wire.FrameException;
import dev.spantransport.wire.FrameReader;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Instant;
import java.util.logging.Level;

/**
 * One guest connection, driven by its {@link ReceiveLoop}'s thread: protocol detection, handshake,
 * SPANS dispatch with dedupe and cumulative ACKs, backpressure, and closing on bad input.
 *
 * <p>This class reads, keeps the connection's state and closes; it coordinates five parts: {@link
 * FrameDispatch} handles each frame read (handshake, control frames, batches, legacy frames),
 * {@link BatchWindow} holds the batches in the sinks until they are acked, {@link ConnectionMemory}
 * accounts for what the connection holds, {@link ControlWriter} buffers and writes the replies, and
 * {@link ConnectionDeadlines} checks the timeouts (among them the frame deadline: a frame must
 * arrive whole within the frame timeout of its first byte). A connection whose first byte is {@code
 * 'P'} hands itself over to {@link HttpConnection}. How memory is bounded is described in {@link
 * ConnectionMemory}, how a batch is delivered once across connections of a session in {@link
 * BatchWindow}.
 *
 * <h2>Backpressure</h2>
 *
 * At most {@code window} batches are in the sinks per connection. When they are, the connection
 * goes on reading control frames (so a PING is answered and a hang-up is seen), but parks the first
 * SPANS frame that does not fit: it stays in the read buffer, unconsumed, and reading stops until a
 * slot frees; bytes then wait in the kernel's socket buffer, and the guest's own window stops it.
 *
 * <h2>Hang-up</h2>
 *
 * A guest may write its last frames and close at once. Those frames are still processed: after a
 * failed write (the guest no longer reads) replies are dropped but reading goes on to the end of
 * stream; and when junixsocket's selector (the one AF_VSOCK channels use) turns the key invalid on
 * the hang-up instead of reporting the channel readable, {@link #onHangUp()} reads what is left
 * without the selector, pausing and resuming with the window and the memory budget like any read.
 *
 * <p>This class is internal and may change without notice.
 */
final class Connection {

  static final int DETECT = 0;
  static final int HANDSHAKE = 1;
  static final int OPEN = 2;
  static final int LEGACY = 3;
  static final int CLOSING = 4;
  static final int CLOSED = 5;
  static final int HTTP = 6;

  final ReceiveLoop loop;
  private final ReceiverContext context;
  private final ReceiverConfig config;
  final SocketChannel channel;
  SelectionKey key;
  final PeerIdentity peer;
  private final PeerLimits.Peer share;
  final Attributes identity;
  final Attributes guest;
  final String label;
  private FrameReader reader;
  private final int baseSize;
  ByteBuffer in;
  private final ByteBuffer out;
  final ConnectionMemory memory;
  final ControlWriter control;
  final BatchWindow window;
  final FrameDispatch frames;
  private final ConnectionDeadlines deadlines;

  int state = DETECT;
  boolean draining;
  private boolean memoryWait;
  private boolean hungUp;
  private int interest = -1;

  /** The session of the handshake (set by {@link FrameDispatch}); null for legacy connections. */
  SessionTable.Session session;

  boolean sessionHeld;
  volatile String sessionHex = "";
  // Read by SpanReceiver.guests() and the per-guest gauges from other threads; written here.
  private final long connectedSinceMillis = System.currentTimeMillis();
  private volatile long batchesDroppedView;
  boolean parked; // a SPANS frame that did not fit waits unconsumed at parkedAt
  private int parkedAt;
  final PayloadCheck payloads;

  long framesRead;
  int legacyRequired = FrameDispatch.LEGACY_HEADER;

  /** Set when the first byte was 'P': this connection speaks OTLP/HTTP and forwards its events. */
  private HttpConnection http;

  int index = -1;
  boolean dirty;

  Connection(
      ReceiveLoop loop,
      SocketChannel channel,
      PeerIdentity peer,
      PeerLimits.Peer share,
      Attributes identity,
      long nowNanos) {
    this.loop = loop;
    this.context = loop.context;
    this.config = context.config;
    this.channel = channel;
    this.peer = peer;
    this.share = share;
    this.identity = identity;
    this.guest = ReceiverMetrics.guestAttributes(peer);
    this.label = peer.transport() + " " + peer.attributes();
    this.reader = new FrameReader(config.maxFrameLength());
    this.payloads = new PayloadCheck(context, guest, label);
    this.baseSize = config.initialReadBufferSize();
    this.in = ByteBuffer.allocate(baseSize);
    this.memory =
        new ConnectionMemory(
            context,
            share,
            2L * config.maxFrameLength() + 2L * config.initialReadBufferSize(),
            baseSize);
    this.control = new ControlWriter(this);
    this.out = control.out;
    this.window = new BatchWindow(this, context, memory, control);
    this.frames = new FrameDispatch(this, memory, control, window, payloads);
    context.budget.forceReserve(baseSize);
    this.deadlines = new ConnectionDeadlines(this, config, nowNanos);
    context.live.add(this);
  }

  /** Counts a rejected or dropped batch for the receiver's metrics and this guest's health. */
  void rejected(String reason) {
    context.metrics.rejected(guest, reason);
    batchesDroppedView++;
  }

  /** Returns a snapshot of this guest's health; callable from any thread. */
  GuestHealth health() {
    long last = window.lastBatchMillis;
    return new GuestHealth(
        peer,
        identity,
        sessionHex,
        Instant.ofEpochMilli(connectedSinceMillis),
        last == 0 ? null : Instant.ofEpochMilli(last),
        window.unackedView,
        window.batchesAckedView,
        batchesDroppedView);
  }

  /** Returns the guest attributes its metrics carry. */
  Attributes guestAttributes() {
    return guest;
  }

  /** Returns milliseconds since its last batch, or since it connected if none came. */
  long idleMillis(long nowMillis) {
    long last = window.lastBatchMillis;
    return nowMillis - (last == 0 ? connectedSinceMillis : last);
  }

  /** Returns its batches received and not yet acknowledged. */
  int unacked() {
    return window.unackedView;
  }

  // ---------------------------------------------------------------- reading

  /** Reads what the socket has and handles every complete frame. Returns 1 if it did work. */
  int onReadable() throws IOException {
    if (http != null) {
      return http.onReadable();
    }
    if (!wantsRead()) {
      updateInterest();
      return 0;
    }
    int required = state == LEGACY ? legacyRequired : reader.requiredCapacity();
    if (required > in.capacity() && !in.hasRemaining()) {
      // Grown only once full, by doubling: charged as bytes arrive, not as announced.
      int size = (int) Math.min(required, 2L * in.capacity());
      if (!memory.reserve(size - in.capacity())
          && !(memory.releaseSpare() && memory.reserve(size - in.capacity()))) {
        waitForMemory();
        return 0;
      }
      ByteBuffer bigger = ByteBuffer.allocate(size);
      in.flip();
      bigger.put(in);
      in = bigger;
    }
    if (!in.hasRemaining()) {
      fail(Wire.INTERNAL, 0, "internal", "read buffer full without a complete frame");
      return 1;
    }
    long credit = in.capacity();
    if (!memory.reserveCredit(credit) && !(memory.releaseSpare() && memory.reserveCredit(credit))) {
      waitForMemory();
      return 0;
    }
    long framesBefore = framesRead + reader.framesSkipped();
    boolean wasSkipping = reader.skipping();
    try {
      int n = channel.read(in);
      if (n < 0) {
        onEndOfStream();
        return 1;
      }
      if (n == 0) {
        return 0;
      }
      deadlines.onRead(loop.now());
      if (state == DETECT) {
        detect();
      }
      if (http != null) {
        return http.onBytesRead();
      }
      if (state == HANDSHAKE || state == OPEN) {
        processBuffered();
      } else if (state == LEGACY) {
        frames.readLegacy();
      }
      boolean boundary =
          framesRead + reader.framesSkipped() != framesBefore
              || (wasSkipping && !reader.skipping());
      trackFrameStart(boundary);
      return 1;
    } finally {
      memory.releaseCredit();
      updateInterest();
    }
  }

  /**
   * Handles every complete frame in the read buffer, up to a SPANS frame that does not fit now:
   * that one is parked, left unconsumed for when a slot or memory frees, and so is everything after
   * it.
   */
  private void processBuffered() {
    in.flip();
    try {
      framesRead += reader.read(in, frames);
      if (parked) {
        in.position(parkedAt);
        // The reader went past the parked frame; a fresh one starts again at its header.
        reader = new FrameReader(config.maxFrameLength());
      }
      in.compact();
    } catch (FrameException e) {
      in.clear();
      int code = Wire.errorCodeOf(e);
      fail(
          code,
          0,
          code == Wire.FRAME_TOO_LARGE ? "frame_too_large" : "malformed_frame",
          e.getMessage());
    } catch (IOException e) {
      in.clear();
      closeNow(Level.FINE, null, "I/O error: " + e.getMessage());
    }
  }

  /** Reads a parked SPANS frame again, and what followed it, once a slot or memory freed. */
  private void resumeParked() {
    if (parked && state == OPEN && !draining) {
      parked = false;
      processBuffered();
    }
  }

  /** Leaves the batch frame whose payload starts at {@code payloadOffset} unconsumed. */
  void park(int payloadOffset) {
    parked = true;
    parkedAt = payloadOffset - Wire.HEADER_LENGTH - in.arrayOffset();
  }

  /**
   * Starts the frame deadline when the bytes read leave a frame incomplete that began in this read
   * ({@code boundary}: a frame ended in it) or after none was pending; clears it when none is.
   */
  private void trackFrameStart(boolean boundary) {
    boolean partial = in.position() > 0 || (state != LEGACY && reader.skipping());
    deadlines.trackFrameStart(partial, boundary, loop.now());
  }

  /**
   * Called when the key turned invalid without this connection cancelling it. junixsocket's
   * poll-based selector does that when the guest hangs up, and leaves the channel open with the
   * guest's last bytes and the end of stream still to be read; the selector will not report this
   * channel again. So read here, through the normal frame path, until the end of stream closes the
   * connection. While the window is full or memory is short, reading pauses as usual and resumes
   * from {@link #onSlotDone} or {@link #memoryAvailable}.
   */
  void onHangUp() {
    if (state == CLOSED) {
      return;
    }
    if (http != null) {
      http.onHangUp();
      return;
    }
    if (!channel.isOpen()) {
      onEndOfStream(); // closed under us (older junixsocket selectors): nothing left to read
      return;
    }
    hungUp = true;
    readAfterHangUp();
  }

  private void readAfterHangUp() {
    try {
      while (state != CLOSED && wantsRead()) {
        if (onReadable() == 0 && state != CLOSED && wantsRead()) {
          // Neither bytes nor the end of stream, and no selector will report more: done.
          onEndOfStream();
        }
      }
    } catch (IOException e) {
      closeNow(Level.FINE, null, "I/O error after hang-up: " + e.getMessage());
    }
  }

  private void detect() {
    byte first = in.get(0);
    if (first == (byte) 0x53) {
      state = HANDSHAKE;
    } else if (first == 0x00) {
      if (config.legacyFrameDecoder() == null) {
        closeNow(
            Level.WARNING,
            "legacy_protocol",
            "speaks the legacy Kata framing (first byte 0x00) and no LegacyFrameDecoder is set");
        return;
      }
      state = LEGACY;
      frames.lastSequence = 0;
    } else if (first == 'P') {
      state = HTTP; // POST: an OTLP/HTTP request
      http = new HttpConnection(this, identity, in);
    } else {
      closeNow(
          Level.WARNING,
          "bad_magic",
          String.format("does not speak span-transport: first byte 0x%02x, expected 0x53", first));
    }
  }

  private void onEndOfStream() {
    if (state == CLOSING) {
      close();
      return;
    }
    if (in.position() > 0) {
      closeNow(
          Level.WARNING,
          "truncated",
          "disconnected mid-frame (" + in.position() + " bytes of an incomplete frame)");
    } else if (state == DETECT || state == HANDSHAKE) {
      closeNow(Level.INFO, "disconnected", "disconnected before the handshake");
    } else {
      closeNow(Level.FINE, null, "disconnected");
    }
  }

  // ---------------------------------------------------------------- batches in the sinks

  /**
   * Called on the loop thread when every sink finished with {@code slot}, or, for a waiting slot,
   * when the slot it waited for did. Runs after this connection closed too: the outcome still
   * counts for the session.
   */
  void onSlotDone(Slot slot) {
    if (http != null) {
      http.onSlotDone(slot);
      return;
    }
    if (!window.onSlotDone(slot)) {
      return; // closed
    }
    if (state == LEGACY
        && in.position() >= FrameDispatch.LEGACY_HEADER
        && window.count < config.window()) {
      frames.readLegacy(); // frames left waiting while the window was full
    }
    if (window.count < config.window()) {
      resumeParked();
    }
    if (hungUp) {
      readAfterHangUp(); // no selector event will come for the rest
    }
    markDirty();
    updateInterest();
  }

  boolean hasPendingSlots() {
    if (http != null) {
      return http.hasPendingSlots();
    }
    return window.hasPendingSlots();
  }

  // ---------------------------------------------------------------- writing

  void markDirty() {
    if (!dirty && state != CLOSED) {
      dirty = true;
      loop.markDirty(this);
    }
  }

  /** Writes the pending ACK and buffered control frames. */
  void flush() {
    dirty = false;
    if (state == CLOSED) {
      return;
    }
    if (http != null) {
      http.flush();
      return;
    }
    control.appendAck();
    control.writeOut();
    if (state == CLOSED) {
      return;
    }
    if (out.position() == 0) {
      if (state == CLOSING) {
        close();
        return;
      }
      if (draining && !hasPendingSlots()) {
        closeNow(Level.FINE, null, "drained after GOAWAY");
        return;
      }
    }
    updateInterest();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Sends GOAWAY and stops reading; the connection closes once its batches are settled. */
  void goAway() {
    if (state == CLOSED || state == CLOSING) {
      return;
    }
    if (http != null) {
      http.goAway();
      return;
    }
    if (state != OPEN) {
      closeNow(Level.FINE, null, "receiver shutting down");
      return;
    }
    draining = true;
    if (control.reserveOut()) {
      out.position(
          out.position()
              + Wire.goAway(
                  out.array(), out.position(), frames.lastSequence, "receiver shutting down"));
    }
    markDirty();
  }

  /** Checks timeouts and releases idle memory (see {@link ConnectionDeadlines}). */
  void onTimer(long now) {
    if (state == CLOSED) {
      return;
    }
    if (http != null) {
      http.onTimer(now);
      return;
    }
    if (!hungUp && (!channel.isOpen() || (key != null && !key.isValid()))) {
      // The loop normally sees an invalidated key in the selected set; this catches the rest.
      onHangUp();
      return;
    }
    deadlines.onTimer(now);
  }

  /** Returns the bytes the frame being read needs in the read buffer. */
  int requiredCapacity() {
    return state == LEGACY ? legacyRequired : reader.requiredCapacity();
  }

  /**
   * Called when the connection has been quiet for a while: shrinks the read buffer, drops the
   * spare.
   */
  void releaseIdleMemory() {
    if (in.position() == 0 && in.capacity() > baseSize) {
      memory.release(in.capacity() - baseSize);
      in = ByteBuffer.allocate(baseSize);
    }
    memory.releaseSpare();
  }

  /** Sends a fatal ERROR, stops reading and closes once it is written. */
  void fail(int code, long sequence, String reason, String message) {
    if (state == CLOSED || state == CLOSING) {
      return;
    }
    rejected(reason);
    context.connectionLog.log(Level.WARNING, "closing connection from " + label + ": " + message);
    control.queueError(code, sequence, true, message);
    if (state == CLOSED) {
      return;
    }
    state = CLOSING;
    deadlines.startClosing(loop.now());
    markDirty();
    updateInterest();
  }

  /** Closes at once, logging {@code message} (rate-limited) at {@code level}. */
  void closeNow(Level level, String reason, String message) {
    if (state == CLOSED) {
      return;
    }
    if (reason != null) {
      rejected(reason);
    }
    if (level.intValue() >= Level.INFO.intValue()) {
      context.connectionLog.log(level, "closing connection from " + label + ": " + message);
    } else {
      ReceiverContext.LOGGER.log(
          level, () -> SafeText.escape("closing connection from " + label + ": " + message));
    }
    close();
  }

  void close() {
    if (state == CLOSED) {
      return;
    }
    state = CLOSED;
    context.live.remove(this);
    context.peers.closed(share);
    if (http != null) {
      http.release();
    }
    if (!hasPendingSlots()) {
      releaseSession(); // else when the last batch in the sinks finishes: its outcome still counts
    }
    if (key != null) {
      key.cancel();
    }
    try {
      channel.close();
    } catch (IOException e) {
      ReceiverContext.LOGGER.log(Level.FINE, "close failed", e);
    }
    context.budget.release(Math.min(in.capacity(), baseSize));
    memory.release(in.capacity() - baseSize);
    in = ByteBuffer.allocate(0);
    memory.releaseSpare();
    window.releaseSettledPayloads();
    loop.removed(this);
  }

  /** Returns the session to the table, once: when closed with no batch of it left in the sinks. */
  void releaseSession() {
    if (sessionHeld) {
      sessionHeld = false;
      context.sessions.release(session);
    }
  }

  boolean isClosed() {
    return state == CLOSED;
  }

  // ---------------------------------------------------------------- interest

  /** Returns whether the connection reads now (not paused by the window, memory or closing). */
  boolean wantsRead() {
    if (draining || memoryWait) {
      return false;
    }
    switch (state) {
      case OPEN:
        return !parked; // control frames are read under a full window; SPANS frames park
      case DETECT:
      case HANDSHAKE:
      case LEGACY:
        return window.count < config.window();
      default:
        return false;
    }
  }

  /** Stops reading until the loop reports released memory. */
  void waitForMemory() {
    if (!memoryWait) {
      memoryWait = true;
      rejected("memory_budget");
      loop.waitForMemory(this);
    }
    updateInterest();
  }

  /** Called by the loop when memory was released: try reading again. */
  void memoryAvailable() {
    memoryWait = false;
    if (window.count < config.window()) {
      resumeParked();
    }
    if (hungUp) {
      readAfterHangUp();
    } else {
      updateInterest();
    }
  }

  boolean isWaitingForMemory() {
    return memoryWait;
  }

  void updateInterest() {
    if (state == CLOSED || key == null || !key.isValid()) {
      return;
    }
    if (http != null) {
      http.updateInterest();
      return;
    }
    int ops = 0;
    if (wantsRead()) {
      ops |= SelectionKey.OP_READ;
    }
    if (out.position() > 0) {
      ops |= SelectionKey.OP_WRITE;
    }
    if (ops != interest) {
      interest = ops;
      key.interestOps(ops);
    }
  }

  @Override
  public String toString() {
    return "Connection{" + label + ", session=" + sessionHex + ", inFlight=" + window.count + "}";
  }
}
