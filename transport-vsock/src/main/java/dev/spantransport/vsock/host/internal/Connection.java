package dev.spantransport.vsock.host.internal;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.sink.LogBatch;
import dev.spantransport.sink.MetricBatch;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.Signal;
import dev.spantransport.text.SafeText;
import dev.spantransport.vsock.host.GuestHealth;
import dev.spantransport.vsock.host.LegacyFrameDecoder;
import dev.spantransport.wire.Capabilities;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameException;
import dev.spantransport.wire.FrameHandler;
import dev.spantransport.wire.FrameReader;
import dev.spantransport.wire.FrameType;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;

/**
 * One guest connection, driven by its {@link ReceiveLoop}'s thread: protocol detection, handshake,
 * SPANS dispatch with dedupe and cumulative ACKs, backpressure, and closing on bad input.
 *
 * <h2>Memory</h2>
 *
 * The read buffer starts at the base size and grows, by doubling, only when it is full and the
 * frame being read needs more (the reader checks the length against the max frame length first):
 * the budget is charged for bytes that arrived, never for a length a guest merely announced. It
 * shrinks back when the connection has been quiet for a while. Before each socket read the
 * connection also reserves its buffer's capacity as credit for the payload copies that read can
 * produce, so copies never exceed the budget; unused credit is returned right after. Growth, credit
 * and payload copies are taken at once from three limits: the shared {@link MemoryBudget}, the
 * peer's share ({@link PeerLimits}) and this connection's own share (two max frames plus two base
 * buffers: one frame being read, its read credit, and copies in the sinks). If any cannot cover
 * them, the connection stops reading until memory is released.
 *
 * <h2>Frame deadline</h2>
 *
 * A frame must arrive whole within the frame timeout of its first byte. A connection that has not
 * completed one in time (a guest announcing a large frame and trickling it) gets a fatal ERROR and
 * is closed; arriving bytes do not extend the deadline, time the receiver spends not reading
 * (window full, memory short) does not count.
 *
 * <h2>Backpressure</h2>
 *
 * At most {@code window} batches are in the sinks per connection. When they are, the connection
 * goes on reading control frames (so a PING is answered and a hang-up is seen), but parks the first
 * SPANS frame that does not fit: it stays in the read buffer, unconsumed, and reading stops until a
 * slot frees; bytes then wait in the kernel's socket buffer, and the guest's own window stops it.
 *
 * <h2>Delivery across connections</h2>
 *
 * Every SPANS frame is claimed in its {@link SessionTable.Session} before it reaches the sinks. A
 * batch the session already has in the sinks on another connection (the guest gave up on that one
 * and resent) is not dispatched again: its slot waits for the other one's outcome. A batch already
 * settled is counted done without the sinks. A connection that closes with batches in the sinks
 * still records their outcome in the session, which is what the guest's next connection acks. After
 * SINK_UNAVAILABLE the connection frees every settled slot from the refused batch on, so its window
 * never stays full and it keeps reading until the guest's end of stream.
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
final class Connection implements FrameHandler {

  private static final int DETECT = 0;
  private static final int HANDSHAKE = 1;
  private static final int OPEN = 2;
  private static final int LEGACY = 3;
  private static final int CLOSING = 4;
  private static final int CLOSED = 5;
  private static final int HTTP = 6;

  private static final int LEGACY_HEADER = 8;
  private static final long QUIET_NANOS = 1_000_000_000L;
  private static final long CLOSE_LINGER_NANOS = 2_000_000_000L;

  final ReceiveLoop loop;
  private final ReceiverContext context;
  private final ReceiverConfig config;
  final SocketChannel channel;
  SelectionKey key;
  final PeerIdentity peer;
  private final PeerLimits.Peer share;
  private final long connectionShare;
  private final Attributes identity;
  final Attributes guest;
  final String label;
  private FrameReader reader;
  private final int baseSize;
  private ByteBuffer in;
  private final ByteBuffer out;

  private int state = DETECT;
  private final long createdNanos;
  private long lastReadNanos;
  private long closeDeadline;
  private boolean draining;
  private boolean memoryWait;
  private boolean hungUp;
  private boolean outputLost;
  private int interest = -1;

  private SessionTable.Session session;
  private boolean sessionHeld;
  private volatile String sessionHex = "";
  // Read by SpanReceiver.guests() and the per-guest gauges from other threads; written here.
  private final long connectedSinceMillis = System.currentTimeMillis();
  private volatile long lastBatchMillis; // 0: none yet
  private volatile int unackedView;
  private volatile long batchesAckedView;
  private volatile long batchesDroppedView;
  private long lastSequence;
  private long pendingAck = -1;
  private boolean sinkRefused;
  private long refusedFrom = Long.MAX_VALUE; // first sequence a sink could not take, once refused
  private boolean parked; // a SPANS frame that did not fit waits unconsumed at parkedAt
  private int parkedAt;
  private Slot[] slots;
  private int head;
  private int count;
  private byte[] spare;
  private long copyCredit;
  final PayloadCheck payloads;
  private SignalCheck signalCheck; // logs and metrics; created on the first such batch

  /** The capability bits both hellos carried (PROTOCOL.md section 3.1). */
  private long capabilities;

  private long held;
  private long frameStartNanos = -1;
  private long lastTimerNanos;
  private long framesRead;
  private int legacyRequired = LEGACY_HEADER;

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
    this.connectionShare = 2L * config.maxFrameLength() + 2L * config.initialReadBufferSize();
    this.identity = identity;
    this.guest = ReceiverMetrics.guestAttributes(peer);
    this.label = peer.transport() + " " + peer.attributes();
    this.reader = new FrameReader(config.maxFrameLength());
    this.payloads = new PayloadCheck(context, guest, label);
    this.baseSize = config.initialReadBufferSize();
    this.in = ByteBuffer.allocate(baseSize);
    this.out = ByteBuffer.allocate(Wire.maxControlFrameLength() * 2);
    context.budget.forceReserve(baseSize);
    this.createdNanos = nowNanos;
    this.lastReadNanos = nowNanos;
    this.lastTimerNanos = nowNanos;
    context.live.add(this);
  }

  /** Counts a rejected or dropped batch for the receiver's metrics and this guest's health. */
  private void rejected(String reason) {
    context.metrics.rejected(guest, reason);
    batchesDroppedView++;
  }

  /** Returns a snapshot of this guest's health; callable from any thread. */
  GuestHealth health() {
    long last = lastBatchMillis;
    return new GuestHealth(
        peer,
        identity,
        sessionHex,
        Instant.ofEpochMilli(connectedSinceMillis),
        last == 0 ? null : Instant.ofEpochMilli(last),
        unackedView,
        batchesAckedView,
        batchesDroppedView);
  }

  /** Returns the guest attributes its metrics carry. */
  Attributes guestAttributes() {
    return guest;
  }

  /** Returns milliseconds since its last batch, or since it connected if none came. */
  long idleMillis(long nowMillis) {
    long last = lastBatchMillis;
    return nowMillis - (last == 0 ? connectedSinceMillis : last);
  }

  /** Returns its batches received and not yet acknowledged. */
  int unacked() {
    return unackedView;
  }

  // ---------------------------------------------------------------- memory

  /**
   * Takes {@code bytes} from this connection's share, its peer's share and the shared budget, or
   * from none of them.
   */
  private boolean reserve(long bytes) {
    if (bytes <= 0) {
      return true;
    }
    if (held + bytes > connectionShare || !context.peers.tryReserve(share, bytes)) {
      return false;
    }
    if (!context.budget.tryReserve(bytes)) {
      context.peers.release(share, bytes);
      return false;
    }
    held += bytes;
    return true;
  }

  /** Accounts for {@code bytes} already taken, even past the limits. */
  private void forceReserve(long bytes) {
    context.budget.forceReserve(bytes);
    context.peers.forceReserve(share, bytes);
    held += bytes;
  }

  /** Returns {@code bytes} taken with {@link #reserve} or {@link #forceReserve}. */
  private void release(long bytes) {
    if (bytes > 0) {
      held -= bytes;
      context.peers.release(share, bytes);
      context.budget.release(bytes);
    }
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
      if (!reserve(size - in.capacity()) && !(releaseSpare() && reserve(size - in.capacity()))) {
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
    if (!reserve(credit) && !(releaseSpare() && reserve(credit))) {
      waitForMemory();
      return 0;
    }
    copyCredit = credit;
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
      lastReadNanos = loop.now();
      if (state == DETECT) {
        detect();
      }
      if (http != null) {
        return http.onBytesRead();
      }
      if (state == HANDSHAKE || state == OPEN) {
        processBuffered();
      } else if (state == LEGACY) {
        readLegacy();
      }
      boolean boundary =
          framesRead + reader.framesSkipped() != framesBefore
              || (wasSkipping && !reader.skipping());
      trackFrameStart(boundary);
      return 1;
    } finally {
      release(copyCredit);
      copyCredit = 0;
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
      framesRead += reader.read(in, this);
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

  private void park(int payloadOffset) {
    parked = true;
    parkedAt = payloadOffset - Wire.HEADER_LENGTH - in.arrayOffset();
  }

  /**
   * Starts the frame deadline when the bytes read leave a frame incomplete that began in this read
   * ({@code boundary}: a frame ended in it) or after none was pending; clears it when none is.
   */
  private void trackFrameStart(boolean boundary) {
    boolean partial = in.position() > 0 || (state != LEGACY && reader.skipping());
    if (!partial) {
      frameStartNanos = -1;
    } else if (frameStartNanos < 0 || boundary) {
      frameStartNanos = loop.now();
    }
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
      lastSequence = 0;
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

  @Override
  public void onFrame(int type, long sequence, byte[] buffer, int offset, int length) {
    if (parked) {
      return; // read again from the parked frame on
    }
    if (state == HANDSHAKE) {
      if (type != FrameType.CLIENT_HELLO) {
        fail(
            Wire.PROTOCOL_VIOLATION,
            0,
            "protocol_violation",
            "first frame must be CLIENT_HELLO (1): type " + type);
        return;
      }
      onClientHello(buffer, offset, length);
      return;
    }
    if (state != OPEN || draining) {
      return; // closing, or after GOAWAY: nothing more is processed
    }
    switch (type) {
      case FrameType.SPANS:
      case FrameType.LOGS:
      case FrameType.METRICS:
        onBatch(FrameType.signal(type), sequence, buffer, offset, length);
        break;
      case FrameType.PING:
        if (reserveOut()) {
          out.position(out.position() + Wire.pong(out.array(), out.position(), sequence));
          markDirty();
        }
        break;
      case FrameType.PONG:
        break;
      case FrameType.ERROR:
        context.connectionLog.log(
            Level.INFO, "guest " + label + " reported an error for sequence " + sequence);
        break;
      case FrameType.CLIENT_HELLO:
      case FrameType.SERVER_HELLO:
      case FrameType.ACK:
      case FrameType.GOAWAY:
        fail(
            Wire.PROTOCOL_VIOLATION,
            sequence,
            "protocol_violation",
            "frame type " + type + " is not valid from a guest after the handshake");
        break;
      default:
        break; // unknown types are skipped for forward compatibility
    }
  }

  private void onClientHello(byte[] buffer, int offset, int length) {
    ClientHello hello;
    try {
      hello = Wire.decodeHello(buffer, offset, length);
    } catch (FrameException | RuntimeException e) {
      fail(Wire.MALFORMED_FRAME, 0, "malformed_hello", "malformed CLIENT_HELLO: " + e.getMessage());
      return;
    }
    int version = Wire.negotiate(hello);
    if (version < 0) {
      fail(
          Wire.UNSUPPORTED_VERSION,
          0,
          "unsupported_version",
          "no common protocol version: host supports "
              + Wire.MIN_VERSION
              + ".."
              + Wire.MAX_VERSION
              + ", guest offers "
              + Wire.describe(hello));
      return;
    }
    // Offer each signal the guest asked for and this receiver has sinks for (PROTOCOL.md 3.2).
    long offered = 0;
    if (context.accepts(Signal.LOGS)) {
      offered |= Capabilities.LOGS;
    }
    if (context.accepts(Signal.METRICS)) {
      offered |= Capabilities.METRICS;
    }
    capabilities = hello.capabilities() & offered;
    session = context.sessions.open(Wire.sessionHigh(hello), Wire.sessionLow(hello));
    sessionHeld = true;
    sessionHex = session.hex();
    long acked = session.acked();
    lastSequence = acked;
    if (!reserveOut()) {
      return;
    }
    int n =
        Wire.serverHello(
            out.array(),
            out.position(),
            acked,
            version,
            capabilities,
            config.maxFrameLength(),
            config.maxSpansPerFrame(),
            config.window());
    out.position(out.position() + n);
    state = OPEN;
    markDirty();
  }

  private void onBatch(Signal signal, long sequence, byte[] buffer, int offset, int length) {
    long acked = session.acked();
    if (sequence <= acked) {
      context.metrics.duplicate(guest);
      queueAck(acked);
      return;
    }
    if (sinkRefused()) {
      // PROTOCOL.md section 6: after SINK_UNAVAILABLE nothing later reaches the sinks on this
      // connection. The batch stays un-acked; the guest resends it after reconnecting.
      rejected("after_sink_unavailable");
      return;
    }
    if (findSlot(sequence) != null) {
      context.metrics.duplicate(guest); // already in the sinks or waiting for an earlier ACK
      return;
    }
    if (sequence <= lastSequence) {
      fail(
          Wire.PROTOCOL_VIOLATION,
          sequence,
          "protocol_violation",
          "batch sequence must increase on a connection: last "
              + lastSequence
              + ", got "
              + sequence);
      return;
    }
    if (count >= config.window()) {
      park(offset); // every slot is taken: wait for one, without consuming the frame
      return;
    }
    if (signal != Signal.TRACES && !Capabilities.allows(capabilities, signal)) {
      rejectBatch(
          sequence,
          Wire.BATCH_REJECTED,
          "not_negotiated",
          FrameType.name(FrameType.of(signal))
              + " frame without the capability: this host takes no "
              + signal.itemName());
      return;
    }
    if (signal != Signal.TRACES) {
      onSignalBatch(signal, sequence, buffer, offset, length);
      return;
    }
    int spans;
    try {
      spans = payloads.countSpans(buffer, offset, length);
    } catch (MalformedPayloadException | RuntimeException e) {
      rejectBatch(
          sequence,
          Wire.MALFORMED_PAYLOAD,
          "malformed_payload",
          "malformed OTLP payload: " + e.getMessage());
      return;
    }
    if (spans > config.maxSpansPerFrame()) {
      rejectBatch(
          sequence,
          Wire.TOO_MANY_SPANS,
          "too_many_spans",
          "spans per frame must be at most " + config.maxSpansPerFrame() + ": " + spans);
      return;
    }
    claimAndDispatch(Signal.TRACES, sequence, buffer, offset, length, spans, null);
  }

  /**
   * A LOGS or METRICS frame of a negotiated signal: validated and counted like SPANS (the item
   * limit is {@code maxSpansPerFrame}), forged identity attributes removed, then claimed and
   * dispatched exactly like a SPANS frame of the same session.
   */
  private void onSignalBatch(Signal signal, long sequence, byte[] buffer, int offset, int length) {
    SignalCheck signalCheck = signalCheck();
    int items;
    byte[] sanitized;
    try {
      items = signalCheck.count(signal, buffer, offset, length);
      sanitized = signalCheck.sanitize(signal, buffer, offset, length);
    } catch (MalformedPayloadException | RuntimeException e) {
      if (signalCheck.overLimit()) {
        rejectBatch(sequence, Wire.TOO_MANY_SPANS, "too_many_items", e.getMessage());
      } else {
        rejectBatch(
            sequence,
            Wire.MALFORMED_PAYLOAD,
            "malformed_payload",
            "malformed OTLP "
                + signal.name().toLowerCase(Locale.ROOT)
                + " payload: "
                + e.getMessage());
      }
      return;
    }
    if (sanitized != null) {
      context.metrics.stripped(guest, signalCheck.stripped());
      context.payloadLog.log(
          Level.WARNING,
          "batch "
              + sequence
              + " from "
              + label
              + ": removed "
              + signalCheck.stripped()
              + " attributes under the reserved prefix spantransport.peer.");
    }
    claimAndDispatch(signal, sequence, buffer, offset, length, items, sanitized);
  }

  /**
   * Copies a counted batch and claims it in the session (PROTOCOL.md section 5.1): dispatched to
   * the sinks of its signal, or waiting for, or settled by, the same sequence elsewhere. {@code
   * rewritten} replaces the guest's bytes when not null (spans are rewritten after the claim).
   */
  private void claimAndDispatch(
      Signal signal,
      long sequence,
      byte[] buffer,
      int offset,
      int length,
      int spans,
      byte[] rewritten) {
    byte[] copy = copyBuffer(length);
    if (copy == null) {
      park(offset);
      waitForMemory();
      return;
    }
    Slot slot = newSlot(sequence);
    lastSequence = sequence;
    // Reset before the claim: once it is claimed as a waiter, another loop may set its outcome.
    slot.waiting = false;
    slot.failed = false;
    slot.refused = false;
    slot.refusal = null;
    switch (session.claim(sequence, slot)) {
      case SessionTable.Session.DISPATCH:
        byte[] sanitized =
            signal == Signal.TRACES
                ? payloads.sanitize(buffer, offset, length, sequence)
                : rewritten;
        if (sanitized != null) {
          // Every sink gets the sanitized payload instead of the guest's bytes.
          giveBack(copy);
          forceReserve(sanitized.length); // released with the slot, as the legacy path does
          slot.payload = sanitized;
          dispatchPrepared(slot, signal, sequence, spans, sanitized.length);
          return;
        }
        System.arraycopy(buffer, offset, copy, 0, length);
        slot.payload = copy;
        dispatchPrepared(slot, signal, sequence, spans, length);
        return;
      case SessionTable.Session.WAIT:
        giveBack(copy);
        context.metrics.duplicate(guest); // in the sinks on an earlier connection of the session
        slot.state = Slot.PENDING;
        slot.waiting = true;
        return;
      case SessionTable.Session.REFUSED_BEFORE:
        giveBack(copy);
        context.metrics.duplicate(guest);
        slot.state = Slot.REJECTED;
        queueError(
            Wire.BATCH_REJECTED, sequence, false, "a sink refused the batch for good before");
        advanceAck();
        markDirty();
        return;
      default:
        giveBack(copy);
        context.metrics.duplicate(guest); // settled on an earlier connection, not yet acked
        slot.state = Slot.SKIPPED;
        advanceAck();
        markDirty();
    }
  }

  /**
   * Returns an array of at least {@code length} bytes for a payload copy, accounted in the memory
   * budget (the spare buffer, the credit reserved before this read, or a fresh reservation), or
   * null if the budget cannot cover it now.
   */
  private byte[] copyBuffer(int length) {
    if (spare != null && spare.length >= length) {
      byte[] payload = spare;
      spare = null;
      return payload;
    }
    releaseSpare(); // too small for this batch: its memory goes to the copy instead
    if (copyCredit >= length) {
      copyCredit -= length; // covered by the credit reserved before this read
      return new byte[length];
    }
    return context.budget.tryReserve(length) ? new byte[length] : null;
  }

  /** Returns a copy buffer that was not needed, as {@link #releasePayload} would. */
  private void giveBack(byte[] payload) {
    if (spare == null && state != CLOSED && payload.length <= baseSize) {
      spare = payload;
    } else {
      context.budget.release(payload.length);
    }
  }

  /**
   * Whether a payload copy of {@code length} bytes may stay as the spare for the next batch: up to
   * the read buffer's size (frames of that size already arrive), and only while the connection's
   * share still covers its next read beside it. A steady stream of batches then reuses one array
   * instead of allocating one per batch; the spare goes back after a quiet second or when a read
   * needs its memory.
   */
  private boolean keepsAsSpare(int length) {
    return spare == null
        && state != CLOSED
        && session != null
        && (length <= baseSize
            || (length <= in.capacity() && held + in.capacity() <= connectionShare));
  }

  /** Releases the spare copy buffer; returns whether there was one. */
  private boolean releaseSpare() {
    if (spare == null) {
      return false;
    }
    release(spare.length);
    spare = null;
    return true;
  }

  /**
   * Rejects one batch for good (PROTOCOL.md section 6): a non-fatal ERROR for its sequence, then
   * the batch counts as done, so the next ACK covers it once the batches before it are done. The
   * sinks never see it and the connection stays open.
   */
  private void rejectBatch(long sequence, int code, String reason, String message) {
    rejected(reason);
    context.connectionLog.log(
        Level.WARNING, "rejected batch " + sequence + " from " + label + ": " + message);
    queueError(code, sequence, false, message);
    if (state == CLOSED) {
      return;
    }
    Slot slot = newSlot(sequence);
    lastSequence = sequence;
    slot.state = Slot.REJECTED;
    advanceAck();
    markDirty();
  }

  /**
   * Returns whether a sink refused a batch of this connection: reported (SINK_UNAVAILABLE queued),
   * or known from a sink's result whose completion the loop has not processed yet.
   */
  private boolean sinkRefused() {
    if (sinkRefused) {
      return true;
    }
    for (int i = 0; i < count; i++) {
      if (slots[(head + i) % slots.length].failed) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- legacy (Kata) framing

  private void readLegacy() {
    LegacyFrameDecoder decoder = config.legacyFrameDecoder();
    in.flip();
    try {
      while (state == LEGACY && in.remaining() >= LEGACY_HEADER) {
        if (count >= config.window()) {
          break; // window full: keep the rest buffered, reading resumes on completion
        }
        long length = in.getLong(in.position());
        if (length < 0 || length > config.maxFrameLength()) {
          fail(
              Wire.FRAME_TOO_LARGE,
              0,
              "frame_too_large",
              "legacy frame length must be between 0 and "
                  + config.maxFrameLength()
                  + ": "
                  + length);
          return;
        }
        int total = LEGACY_HEADER + (int) length;
        if (in.remaining() < total) {
          legacyRequired = total;
          return;
        }
        int bodyOffset = in.arrayOffset() + in.position() + LEGACY_HEADER;
        in.position(in.position() + total);
        legacyRequired = LEGACY_HEADER;
        framesRead++;
        byte[] request;
        try {
          request = decoder.decode(in.array(), bodyOffset, (int) length);
        } catch (IOException | RuntimeException e) {
          closeNow(Level.WARNING, "malformed_payload", "sent a malformed legacy frame: " + e);
          return;
        }
        if (request == null) {
          continue;
        }
        int spans;
        try {
          spans = payloads.countSpans(request, 0, request.length);
          byte[] sanitized = payloads.sanitize(request, 0, request.length, lastSequence + 1);
          if (sanitized != null) {
            request = sanitized;
          }
        } catch (MalformedPayloadException | RuntimeException e) {
          closeNow(
              Level.WARNING,
              "malformed_payload",
              "legacy decoder produced a malformed OTLP request: " + e);
          return;
        }
        lastSequence++;
        Slot slot = newSlot(lastSequence);
        // The decoder's array is ours now; account for it like a copy.
        forceReserve(request.length);
        slot.payload = request;
        dispatchPrepared(slot, Signal.TRACES, lastSequence, spans, request.length);
      }
    } finally {
      in.compact();
    }
  }

  // ---------------------------------------------------------------- slots and sinks

  private Slot findSlot(long sequence) {
    if (slots == null) {
      return null;
    }
    for (int i = 0; i < count; i++) {
      Slot s = slots[(head + i) % slots.length];
      if (s.sequence == sequence) {
        return s;
      }
    }
    return null;
  }

  private Slot newSlot(long sequence) {
    if (slots == null) {
      slots = new Slot[config.window()];
    }
    int i = (head + count) % slots.length;
    Slot slot = slots[i];
    if (slot == null) {
      slot = new Slot(this, context);
      slots[i] = slot;
    }
    count++;
    unackedView = count;
    lastBatchMillis = System.currentTimeMillis();
    slot.sequence = sequence;
    return slot;
  }

  private void dispatchPrepared(Slot slot, Signal signal, long sequence, int spans, int length) {
    slot.length = length;
    slot.spanCount = spans;
    slot.state = Slot.PENDING;
    slot.failed = false;
    slot.refused = false;
    slot.refusal = null;
    slot.waiting = false;
    slot.startNanos = System.nanoTime();
    slot.batch = batch(signal, peer, identity, sessionHex, sequence, spans, slot.payload, length);
    context.metrics.batchReceived(guest, signal, spans);
    slot.offerTo(context, context.connectionLog);
  }

  /** Returns this connection's logs and metrics check, created on first use. */
  SignalCheck signalCheck() {
    if (signalCheck == null) {
      signalCheck = new SignalCheck(config.maxSpansPerFrame());
    }
    return signalCheck;
  }

  /** Returns the immutable batch of {@code signal} the sinks see. */
  static OtlpBatch batch(
      Signal signal,
      PeerIdentity peer,
      Attributes identity,
      String session,
      long sequence,
      int items,
      byte[] payload,
      int length) {
    switch (signal) {
      case LOGS:
        return LogBatch.of(peer, identity, session, sequence, items, payload, 0, length);
      case METRICS:
        return MetricBatch.of(peer, identity, session, sequence, items, payload, 0, length);
      default:
        return SpanBatch.of(peer, identity, session, sequence, items, payload, 0, length);
    }
  }

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
    boolean waited = slot.waiting;
    slot.waiting = false;
    if (!waited) {
      context.metrics.sinkDuration(guest, System.nanoTime() - slot.startNanos);
      for (int i = 0; i < slot.results.length; i++) {
        slot.results[i] = null;
      }
      releasePayload(slot);
    }
    boolean legacy = session == null;
    int outcome =
        slot.refused
            ? SessionTable.Session.REFUSED
            : slot.failed ? SessionTable.Session.RETRY : SessionTable.Session.DELIVERED;
    if (!waited && !legacy) {
      List<Slot> waiting = session.finish(slot.sequence, outcome);
      if (waiting != null) {
        for (Slot w : waiting) {
          w.refusal = slot.refusal;
          w.refused = slot.refused;
          w.failed = slot.failed;
          w.connection.loop.completed(w);
        }
      }
    }
    boolean open = state != CLOSED;
    if (outcome == SessionTable.Session.REFUSED) {
      if (!waited) {
        rejected("sink_rejected");
        context.connectionLog.log(
            Level.WARNING,
            "a sink refused batch "
                + slot.sequence
                + " from "
                + label
                + " for good, dropping it: "
                + slot.refusal);
      }
      slot.state = legacy ? Slot.SUCCEEDED : Slot.REJECTED;
      if (open && !legacy) {
        queueError(
            Wire.BATCH_REJECTED,
            slot.sequence,
            false,
            "a sink refused the batch for good: " + slot.refusal);
      }
    } else if (outcome == SessionTable.Session.RETRY) {
      if (!waited) {
        rejected("sink_unavailable");
      }
      if (legacy) {
        slot.state = Slot.SUCCEEDED; // no acks in the legacy protocol: the batch is dropped
      } else {
        slot.state = Slot.FAILED;
        refusedFrom = Math.min(refusedFrom, slot.sequence);
        if (!sinkRefused && open) {
          queueError(
              Wire.SINK_UNAVAILABLE,
              slot.sequence,
              false,
              "a sink refused the batch; resend it later");
        }
        sinkRefused = true;
      }
    } else {
      slot.state = waited ? Slot.SKIPPED : Slot.SUCCEEDED;
    }
    advanceAck();
    if (!open) {
      if (!hasPendingSlots()) {
        releaseSession();
      }
      return;
    }
    if (state == LEGACY && in.position() >= LEGACY_HEADER && count < config.window()) {
      readLegacy(); // frames left waiting while the window was full
    }
    if (count < config.window()) {
      resumeParked();
    }
    if (hungUp) {
      readAfterHangUp(); // no selector event will come for the rest
    }
    markDirty();
    updateInterest();
  }

  /** Retires the done slots at the head of the window and queues the cumulative ACK for them. */
  private void advanceAck() {
    long ack = -1;
    long acked = 0;
    while (count > 0 && isSettled(slots[head]) && slots[head].sequence < refusedFrom) {
      Slot s = slots[head];
      ack = s.sequence;
      if (s.state == Slot.SUCCEEDED) {
        acked++;
      }
      s.state = Slot.FREE;
      head = (head + 1) % slots.length;
      count--;
      unackedView = count;
    }
    if (ack >= 0 && session != null) {
      session.ack(ack);
      context.metrics.acked(guest, acked);
      batchesAckedView += acked;
      queueAck(ack);
    }
    if (sinkRefused) {
      freeRefusedSlots();
    }
  }

  private static boolean isSettled(Slot s) {
    return s.state == Slot.SUCCEEDED || s.state == Slot.REJECTED || s.state == Slot.SKIPPED;
  }

  /**
   * After SINK_UNAVAILABLE nothing from the refused batch on is acked on this connection
   * (PROTOCOL.md section 6); the session keeps what those batches' sinks said. Their slots would
   * only hold the window, so every one not still in the sinks is freed; the others keep their
   * order.
   */
  private void freeRefusedSlots() {
    int kept = 0;
    for (int i = 0; i < count; i++) {
      int at = (head + i) % slots.length;
      Slot s = slots[at];
      if (s.state == Slot.PENDING || s.sequence < refusedFrom) {
        int to = (head + kept) % slots.length;
        slots[at] = slots[to];
        slots[to] = s;
        kept++;
      } else {
        s.state = Slot.FREE;
      }
    }
    count = kept;
    unackedView = count;
  }

  private void releasePayload(Slot slot) {
    byte[] payload = slot.payload;
    slot.payload = null;
    if (payload == null) {
      return;
    }
    if (keepsAsSpare(payload.length)) {
      spare = payload; // stays accounted; reused for the next batch
    } else {
      release(payload.length);
    }
  }

  boolean hasPendingSlots() {
    if (http != null) {
      return http.hasPendingSlots();
    }
    if (slots == null) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      if (slots[(head + i) % slots.length].state == Slot.PENDING) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- writing

  private void queueAck(long sequence) {
    if (sequence > pendingAck) {
      pendingAck = sequence;
    }
    markDirty();
  }

  private void queueError(int code, long sequence, boolean fatal, String message) {
    if (reserveOut()) {
      out.position(
          out.position() + Wire.error(out.array(), out.position(), sequence, code, fatal, message));
      markDirty();
    }
  }

  /** Makes room for one control frame; closes the connection if the guest does not read. */
  private boolean reserveOut() {
    if (out.remaining() >= Wire.maxControlFrameLength()) {
      return true;
    }
    writeOut();
    if (state != CLOSED && out.remaining() >= Wire.maxControlFrameLength()) {
      return true;
    }
    if (state != CLOSED) {
      closeNow(Level.WARNING, "not_reading", "does not read its replies (output buffer full)");
    }
    return false;
  }

  private void markDirty() {
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
    if (pendingAck >= 0 && out.remaining() >= Wire.HEADER_LENGTH) {
      out.position(out.position() + Wire.ack(out.array(), out.position(), pendingAck));
      pendingAck = -1;
    }
    writeOut();
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

  private void writeOut() {
    if (out.position() == 0) {
      return;
    }
    if (outputLost) {
      out.clear();
      return;
    }
    out.flip();
    try {
      channel.write(out);
    } catch (IOException e) {
      // The guest hung up or stopped reading. What it sent before still counts (the session keeps
      // the acks for its reconnect), so keep reading to the end of stream and drop replies.
      out.clear();
      outputLost = true;
      ReceiverContext.LOGGER.log(
          Level.FINE,
          () ->
              SafeText.escape(
                  "write to " + label + " failed, reading what is left: " + e.getMessage()));
      return;
    }
    out.compact();
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
    if (reserveOut()) {
      out.position(
          out.position()
              + Wire.goAway(out.array(), out.position(), lastSequence, "receiver shutting down"));
    }
    markDirty();
  }

  /** Checks timeouts and releases idle memory. */
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
    if (state == CLOSING) {
      if (now - closeDeadline > 0) {
        close();
      }
      return;
    }
    if (state == DETECT || state == HANDSHAKE) {
      if (now - createdNanos > config.handshakeTimeout().toNanos()) {
        fail(
            Wire.PROTOCOL_VIOLATION,
            0,
            "handshake_timeout",
            "no CLIENT_HELLO within " + config.handshakeTimeout());
      }
      return;
    }
    long sinceLastTimer = now - lastTimerNanos;
    lastTimerNanos = now;
    if (frameStartNanos >= 0) {
      if (!wantsRead()) {
        frameStartNanos += sinceLastTimer; // the receiver is not reading: not the guest's time
      } else if (now - frameStartNanos > config.frameTimeout().toNanos()) {
        fail(
            Wire.PROTOCOL_VIOLATION,
            0,
            "frame_timeout",
            "frame not completed within "
                + config.frameTimeout()
                + " ("
                + in.position()
                + " bytes buffered, "
                + (state == LEGACY ? legacyRequired : reader.requiredCapacity())
                + " needed)");
        return;
      }
    }
    long idle = config.idleTimeout().toNanos();
    if (idle > 0 && now - lastReadNanos > idle && count == 0) {
      closeNow(Level.INFO, "idle", "idle for " + config.idleTimeout());
      return;
    }
    if (now - lastReadNanos > QUIET_NANOS) {
      if (in.position() == 0 && in.capacity() > baseSize) {
        release(in.capacity() - baseSize);
        in = ByteBuffer.allocate(baseSize);
      }
      if (spare != null) {
        release(spare.length);
        spare = null;
      }
    }
  }

  /** Sends a fatal ERROR, stops reading and closes once it is written. */
  private void fail(int code, long sequence, String reason, String message) {
    if (state == CLOSED || state == CLOSING) {
      return;
    }
    rejected(reason);
    context.connectionLog.log(Level.WARNING, "closing connection from " + label + ": " + message);
    queueError(code, sequence, true, message);
    if (state == CLOSED) {
      return;
    }
    state = CLOSING;
    closeDeadline = loop.now() + CLOSE_LINGER_NANOS;
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
    release(in.capacity() - baseSize);
    in = ByteBuffer.allocate(0);
    if (spare != null) {
      release(spare.length);
      spare = null;
    }
    if (slots != null) {
      for (Slot s : slots) {
        if (s != null && s.state != Slot.PENDING) {
          releasePayload(s); // pending ones are released when their sinks finish
        }
      }
    }
    loop.removed(this);
  }

  private void releaseSession() {
    if (sessionHeld) {
      sessionHeld = false;
      context.sessions.release(session);
    }
  }

  boolean isClosed() {
    return state == CLOSED;
  }

  // ---------------------------------------------------------------- interest

  private boolean wantsRead() {
    if (draining || memoryWait) {
      return false;
    }
    switch (state) {
      case OPEN:
        return !parked; // control frames are read under a full window; SPANS frames park
      case DETECT:
      case HANDSHAKE:
      case LEGACY:
        return count < config.window();
      default:
        return false;
    }
  }

  private void waitForMemory() {
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
    if (count < config.window()) {
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
    return "Connection{" + label + ", session=" + sessionHex + ", inFlight=" + count + "}";
  }
}
