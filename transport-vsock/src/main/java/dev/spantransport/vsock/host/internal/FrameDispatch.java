package dev.spantransport.vsock.host.internal;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.spi.Signal;
import dev.spantransport.vsock.host.LegacyFrameDecoder;
import dev.spantransport.wire.Capabilities;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameException;
import dev.spantransport.wire.FrameHandler;
import dev.spantransport.wire.FrameType;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.logging.Level;

/**
 * What one {@link Connection} does with each frame a guest sent: the CLIENT_HELLO of the handshake
 * (version and capabilities negotiated, session opened, SERVER_HELLO queued), control frames (PING
 * answered, ERROR logged, frames only the host may send refused), and SPANS, LOGS and METRICS
 * frames checked, deduplicated against the session, copied and handed to the {@link BatchWindow},
 * or rejected for good with a non-fatal ERROR. A batch frame that does not fit the window or the
 * memory budget is parked in the read buffer. Also decodes legacy (Kata) frames. Used on the loop
 * thread only.
 *
 * <p>This class is internal and may change without notice.
 */
final class FrameDispatch implements FrameHandler {

  static final int LEGACY_HEADER = 8;

  private final Connection connection;
  private final ReceiverContext context;
  private final ReceiverConfig config;
  private final ConnectionMemory memory;
  private final ControlWriter control;
  private final ByteBuffer out;
  private final BatchWindow window;
  private final PayloadCheck payloads;
  private final Attributes guest;
  private final String label;
  private SignalCheck signalCheck; // logs and metrics; created on the first such batch

  /** The capability bits both hellos carried (PROTOCOL.md section 3.1). */
  private long capabilities;

  /** The last sequence taken on this connection (acked in the session at the handshake). */
  long lastSequence;

  FrameDispatch(
      Connection connection,
      ConnectionMemory memory,
      ControlWriter control,
      BatchWindow window,
      PayloadCheck payloads) {
    this.connection = connection;
    this.context = connection.loop.context;
    this.config = context.config;
    this.memory = memory;
    this.control = control;
    this.out = control.out;
    this.window = window;
    this.payloads = payloads;
    this.guest = connection.guest;
    this.label = connection.label;
  }

  @Override
  public void onFrame(int type, long sequence, byte[] buffer, int offset, int length) {
    if (connection.parked) {
      return; // read again from the parked frame on
    }
    if (connection.state == Connection.HANDSHAKE) {
      if (type != FrameType.CLIENT_HELLO) {
        connection.fail(
            Wire.PROTOCOL_VIOLATION,
            0,
            "protocol_violation",
            "first frame must be CLIENT_HELLO (1): type " + type);
        return;
      }
      onClientHello(buffer, offset, length);
      return;
    }
    if (connection.state != Connection.OPEN || connection.draining) {
      return; // closing, or after GOAWAY: nothing more is processed
    }
    switch (type) {
      case FrameType.SPANS:
      case FrameType.LOGS:
      case FrameType.METRICS:
        onBatch(FrameType.signal(type), sequence, buffer, offset, length);
        break;
      case FrameType.PING:
        if (control.reserveOut()) {
          out.position(out.position() + Wire.pong(out.array(), out.position(), sequence));
          connection.markDirty();
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
        connection.fail(
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
      connection.fail(
          Wire.MALFORMED_FRAME, 0, "malformed_hello", "malformed CLIENT_HELLO: " + e.getMessage());
      return;
    }
    int version = Wire.negotiate(hello);
    if (version < 0) {
      connection.fail(
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
    SessionTable.Session session =
        context.sessions.open(Wire.sessionHigh(hello), Wire.sessionLow(hello));
    connection.session = session;
    connection.sessionHeld = true;
    connection.sessionHex = session.hex();
    long acked = session.acked();
    lastSequence = acked;
    if (!control.reserveOut()) {
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
    connection.state = Connection.OPEN;
    connection.markDirty();
  }

  private void onBatch(Signal signal, long sequence, byte[] buffer, int offset, int length) {
    long acked = connection.session.acked();
    if (sequence <= acked) {
      context.metrics.duplicate(guest);
      control.queueAck(acked);
      return;
    }
    if (window.sinkRefused()) {
      // PROTOCOL.md section 6: after SINK_UNAVAILABLE nothing later reaches the sinks on this
      // connection. The batch stays un-acked; the guest resends it after reconnecting.
      connection.rejected("after_sink_unavailable");
      return;
    }
    if (window.findSlot(sequence) != null) {
      context.metrics.duplicate(guest); // already in the sinks or waiting for an earlier ACK
      return;
    }
    if (sequence <= lastSequence) {
      connection.fail(
          Wire.PROTOCOL_VIOLATION,
          sequence,
          "protocol_violation",
          "batch sequence must increase on a connection: last "
              + lastSequence
              + ", got "
              + sequence);
      return;
    }
    if (window.count >= config.window()) {
      connection.park(offset); // every slot is taken: wait for one, without consuming the frame
      return;
    }
    if (signal == Signal.TRACES && !context.accepts(Signal.TRACES)) {
      // Spans need no capability (every guest sends them), so a host built with only log or
      // metric sinks refuses each SPANS batch for good rather than ack what no sink took.
      rejectBatch(
          sequence,
          Wire.BATCH_REJECTED,
          "no_sink",
          "SPANS frame: this host takes no spans (it has only log or metric sinks)");
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
    byte[] copy = memory.copyBuffer(length);
    if (copy == null) {
      connection.park(offset);
      connection.waitForMemory();
      return;
    }
    Slot slot = window.newSlot(sequence);
    lastSequence = sequence;
    // Reset before the claim: once it is claimed as a waiter, another loop may set its outcome.
    slot.waiting = false;
    slot.failed = false;
    slot.refused = false;
    slot.refusal = null;
    switch (connection.session.claim(sequence, slot)) {
      case SessionTable.Session.DISPATCH:
        byte[] sanitized =
            signal == Signal.TRACES
                ? payloads.sanitize(buffer, offset, length, sequence)
                : rewritten;
        if (sanitized != null) {
          // Every sink gets the sanitized payload instead of the guest's bytes.
          giveBack(copy);
          memory.forceReserve(sanitized.length); // released with the slot, as the legacy path does
          slot.payload = sanitized;
          window.dispatchPrepared(slot, signal, sequence, spans, sanitized.length);
          return;
        }
        System.arraycopy(buffer, offset, copy, 0, length);
        slot.payload = copy;
        window.dispatchPrepared(slot, signal, sequence, spans, length);
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
        control.queueError(
            Wire.BATCH_REJECTED, sequence, false, "a sink refused the batch for good before");
        window.advanceAck();
        connection.markDirty();
        return;
      default:
        giveBack(copy);
        context.metrics.duplicate(guest); // settled on an earlier connection, not yet acked
        slot.state = Slot.SKIPPED;
        window.advanceAck();
        connection.markDirty();
    }
  }

  /** Returns a copy buffer that was not needed to the connection's memory. */
  private void giveBack(byte[] payload) {
    memory.giveBack(payload, !connection.isClosed());
  }

  /**
   * Rejects one batch for good (PROTOCOL.md section 6): a non-fatal ERROR for its sequence, then
   * the batch counts as done, so the next ACK covers it once the batches before it are done. The
   * sinks never see it and the connection stays open.
   */
  private void rejectBatch(long sequence, int code, String reason, String message) {
    connection.rejected(reason);
    context.connectionLog.log(
        Level.WARNING, "rejected batch " + sequence + " from " + label + ": " + message);
    control.queueError(code, sequence, false, message);
    if (connection.isClosed()) {
      return;
    }
    Slot slot = window.newSlot(sequence);
    lastSequence = sequence;
    slot.state = Slot.REJECTED;
    window.advanceAck();
    connection.markDirty();
  }

  // ---------------------------------------------------------------- legacy (Kata) framing

  /**
   * Handles the complete legacy (Kata) frames in the connection's read buffer, up to a full window;
   * each one's decoded request is dispatched like a SPANS frame with the next sequence.
   */
  void readLegacy() {
    LegacyFrameDecoder decoder = config.legacyFrameDecoder();
    ByteBuffer in = connection.in;
    in.flip();
    try {
      while (connection.state == Connection.LEGACY && in.remaining() >= LEGACY_HEADER) {
        if (window.count >= config.window()) {
          break; // window full: keep the rest buffered, reading resumes on completion
        }
        long length = in.getLong(in.position());
        if (length < 0 || length > config.maxFrameLength()) {
          connection.fail(
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
          connection.legacyRequired = total;
          return;
        }
        int bodyOffset = in.arrayOffset() + in.position() + LEGACY_HEADER;
        in.position(in.position() + total);
        connection.legacyRequired = LEGACY_HEADER;
        connection.framesRead++;
        byte[] request;
        try {
          request = decoder.decode(in.array(), bodyOffset, (int) length);
        } catch (IOException | RuntimeException e) {
          connection.closeNow(
              Level.WARNING, "malformed_payload", "sent a malformed legacy frame: " + e);
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
          connection.closeNow(
              Level.WARNING,
              "malformed_payload",
              "legacy decoder produced a malformed OTLP request: " + e);
          return;
        }
        lastSequence++;
        Slot slot = window.newSlot(lastSequence);
        // The decoder's array is ours now; account for it like a copy.
        memory.forceReserve(request.length);
        slot.payload = request;
        window.dispatchPrepared(slot, Signal.TRACES, lastSequence, spans, request.length);
      }
    } finally {
      in.compact();
    }
  }

  /** Returns this connection's logs and metrics check, created on first use. */
  SignalCheck signalCheck() {
    if (signalCheck == null) {
      signalCheck = new SignalCheck(payloads.otlp());
    }
    return signalCheck;
  }

  @Override
  public String toString() {
    return "FrameDispatch{" + label + ", lastSequence=" + lastSequence + "}";
  }
}
