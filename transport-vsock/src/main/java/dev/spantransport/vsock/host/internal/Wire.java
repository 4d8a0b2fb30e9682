package dev.spantransport.vsock.host.internal;

import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameException;
import dev.spantransport.wire.FrameTooLongException;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.ServerHello;

/**
 * The receiver's one point of contact with the wire and codec classes: every frame it writes and
 * every hello it reads goes through here.
 *
 * <p>This class is internal and may change without notice.
 */
final class Wire {

  static final int HEADER_LENGTH = FrameDescriptor.HEADER_LENGTH;
  static final int MIN_VERSION = FrameDescriptor.MIN_SUPPORTED_VERSION;
  static final int MAX_VERSION = FrameDescriptor.MAX_SUPPORTED_VERSION;
  static final int MAX_ERROR_MESSAGE_BYTES = 160;

  private Wire() {}

  static int ack(byte[] dst, int off, long sequence) {
    return FrameWriter.writeAck(dst, off, sequence);
  }

  static int pong(byte[] dst, int off, long nonce) {
    return FrameWriter.writePong(dst, off, nonce);
  }

  static int error(byte[] dst, int off, long sequence, int code, boolean fatal, String message) {
    return FrameWriter.writeError(dst, off, sequence, code, fatal, clip(message));
  }

  static int goAway(byte[] dst, int off, long lastSequence, String reason) {
    return FrameWriter.writeGoAway(dst, off, lastSequence, clip(reason));
  }

  static int serverHello(
      byte[] dst,
      int off,
      long ackedSequence,
      int version,
      long capabilities,
      int maxFrame,
      int maxSpans,
      int window) {
    return FrameWriter.writeServerHello(
        dst,
        off,
        ackedSequence,
        ServerHello.create(version, capabilities, maxFrame, maxSpans, window));
  }

  /** Upper bound of bytes any control frame written here takes. */
  static int maxControlFrameLength() {
    return HEADER_LENGTH + 3 + MAX_ERROR_MESSAGE_BYTES * 3 + 32;
  }

  static ClientHello decodeHello(byte[] buffer, int offset, int length) throws FrameException {
    return ClientHello.decode(buffer, offset, length);
  }

  /** Returns the negotiated version, or -1 if the guest and host share none. */
  static int negotiate(ClientHello hello) {
    return ServerHello.negotiate(hello.minVersion(), hello.maxVersion(), MIN_VERSION, MAX_VERSION);
  }

  static long sessionHigh(ClientHello hello) {
    return hello.sessionId().high();
  }

  static long sessionLow(ClientHello hello) {
    return hello.sessionId().low();
  }

  static String describe(ClientHello hello) {
    return "versions " + hello.minVersion() + ".." + hello.maxVersion();
  }

  /** Returns the protocol error code for a frame decoding failure. */
  static int errorCodeOf(FrameException e) {
    return e instanceof FrameTooLongException
        ? ErrorCode.FRAME_TOO_LARGE
        : ErrorCode.MALFORMED_FRAME;
  }

  private static String clip(String text) {
    return text.length() <= MAX_ERROR_MESSAGE_BYTES
        ? text
        : text.substring(0, MAX_ERROR_MESSAGE_BYTES);
  }

  static final int SINK_UNAVAILABLE = ErrorCode.SINK_UNAVAILABLE;
  static final int BATCH_REJECTED = ErrorCode.BATCH_REJECTED;
  static final int UNSUPPORTED_VERSION = ErrorCode.UNSUPPORTED_VERSION;
  static final int FRAME_TOO_LARGE = ErrorCode.FRAME_TOO_LARGE;
  static final int MALFORMED_FRAME = ErrorCode.MALFORMED_FRAME;
  static final int MALFORMED_PAYLOAD = ErrorCode.MALFORMED_PAYLOAD;
  static final int TOO_MANY_SPANS = ErrorCode.TOO_MANY_SPANS;
  static final int PROTOCOL_VIOLATION = ErrorCode.PROTOCOL_VIOLATION;
  static final int SHUTTING_DOWN = ErrorCode.SHUTTING_DOWN;
  static final int INTERNAL = ErrorCode.INTERNAL;
}
