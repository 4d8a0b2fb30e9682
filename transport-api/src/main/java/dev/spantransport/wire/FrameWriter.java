package dev.spantransport.wire;

import static dev.spantransport.wire.FrameDescriptor.HEADER_LENGTH;
import static java.util.Objects.requireNonNull;

import dev.spantransport.codec.internal.Utf8;

/**
 * Writes frames into a caller's {@code byte[]} at an offset and returns the number of bytes
 * written. Nothing here allocates: the header and fixed-size frames (ACK, PING, PONG, SERVER_HELLO)
 * are plain stores, and strings are encoded straight into the destination. Size the destination
 * with the {@code *FrameLength} methods first; a destination that is too small raises {@link
 * IndexOutOfBoundsException} before anything is written.
 *
 * <p>To send SPANS, write the header with {@link #writeHeader} and the OTLP payload right after it.
 */
public final class FrameWriter {

  /** Length of an ACK, PING or PONG frame: a header with no payload. */
  public static final int EMPTY_FRAME_LENGTH = HEADER_LENGTH;

  private FrameWriter() {}

  /**
   * Writes a version-1 frame header.
   *
   * @param type a frame type, 0 to 255
   * @param sequence the header's sequence
   * @param payloadLength length of the payload that will follow, 0 to {@link
   *     FrameDescriptor#MAX_FRAME_LENGTH}
   * @return {@link FrameDescriptor#HEADER_LENGTH}
   */
  public static int writeHeader(
      byte[] dst, int offset, int type, long sequence, int payloadLength) {
    if (type < 0 || type > 0xFF) {
      throw new IllegalArgumentException("type must be between 0 and 255: " + type);
    }
    if (payloadLength < 0 || payloadLength > FrameDescriptor.MAX_FRAME_LENGTH) {
      throw new IllegalArgumentException(
          "payloadLength must be between 0 and "
              + FrameDescriptor.MAX_FRAME_LENGTH
              + ": "
              + payloadLength);
    }
    checkRoom(dst, offset, HEADER_LENGTH);
    FrameDescriptor.putU16(dst, offset + FrameDescriptor.MAGIC_OFFSET, FrameDescriptor.MAGIC);
    dst[offset + FrameDescriptor.VERSION_OFFSET] = (byte) FrameDescriptor.CURRENT_VERSION;
    dst[offset + FrameDescriptor.TYPE_OFFSET] = (byte) type;
    FrameDescriptor.putU32(dst, offset + FrameDescriptor.LENGTH_OFFSET, payloadLength);
    FrameDescriptor.putU64(dst, offset + FrameDescriptor.SEQUENCE_OFFSET, sequence);
    return HEADER_LENGTH;
  }

  /** Writes an ACK for every SPANS sequence up to {@code sequence}; returns 16. */
  public static int writeAck(byte[] dst, int offset, long sequence) {
    return writeHeader(dst, offset, FrameType.ACK, sequence, 0);
  }

  /** Writes a PING carrying {@code nonce}; returns 16. */
  public static int writePing(byte[] dst, int offset, long nonce) {
    return writeHeader(dst, offset, FrameType.PING, nonce, 0);
  }

  /** Writes a PONG echoing {@code nonce}; returns 16. */
  public static int writePong(byte[] dst, int offset, long nonce) {
    return writeHeader(dst, offset, FrameType.PONG, nonce, 0);
  }

  /** Returns the length of an ERROR frame carrying {@code message}, header included. */
  public static int errorFrameLength(String message) {
    return HEADER_LENGTH + ErrorFrame.FIXED_LENGTH + Utf8.byteLength(Utf8.encodedLength(message));
  }

  /**
   * Writes an ERROR frame.
   *
   * @param sequence the SPANS sequence the error refers to, 0 for the connection
   * @param code an {@link ErrorCode}, 0 to 65,535
   * @param fatal whether the sender closes the connection after this frame
   * @param message human-readable, UTF-8 encoded
   * @return {@link #errorFrameLength(String)}
   */
  public static int writeError(
      byte[] dst, int offset, long sequence, int code, boolean fatal, String message) {
    requireNonNull(message, "message");
    if (code < 0 || code > FrameDescriptor.MAX_U16) {
      throw new IllegalArgumentException("code must be between 0 and 65535: " + code);
    }
    int payloadLength = ErrorFrame.FIXED_LENGTH + Utf8.byteLength(Utf8.encodedLength(message));
    checkRoom(dst, offset, HEADER_LENGTH + payloadLength);
    writeHeader(dst, offset, FrameType.ERROR, sequence, payloadLength);
    int p = offset + HEADER_LENGTH;
    FrameDescriptor.putU16(dst, p + ErrorFrame.CODE_OFFSET, code);
    dst[p + ErrorFrame.FATAL_OFFSET] = (byte) (fatal ? 1 : 0);
    Utf8.write(dst, p + ErrorFrame.MESSAGE_OFFSET, message, Utf8.encodedLength(message));
    return HEADER_LENGTH + payloadLength;
  }

  /** Returns the length of a GOAWAY frame carrying {@code reason}, header included. */
  public static int goAwayFrameLength(String reason) {
    return HEADER_LENGTH + Utf8.byteLength(Utf8.encodedLength(reason));
  }

  /**
   * Writes a GOAWAY frame.
   *
   * @param sequence the last SPANS sequence the host will still process and ack
   * @param reason human-readable, UTF-8 encoded
   * @return {@link #goAwayFrameLength(String)}
   */
  public static int writeGoAway(byte[] dst, int offset, long sequence, String reason) {
    requireNonNull(reason, "reason");
    int payloadLength = Utf8.byteLength(Utf8.encodedLength(reason));
    checkRoom(dst, offset, HEADER_LENGTH + payloadLength);
    writeHeader(dst, offset, FrameType.GOAWAY, sequence, payloadLength);
    Utf8.write(dst, offset + HEADER_LENGTH, reason, Utf8.encodedLength(reason));
    return HEADER_LENGTH + payloadLength;
  }

  /**
   * Writes a CLIENT_HELLO frame (sequence 0).
   *
   * @return {@link ClientHello#frameLength()}
   */
  public static int writeClientHello(byte[] dst, int offset, ClientHello hello) {
    requireNonNull(hello, "hello");
    checkRoom(dst, offset, hello.frameLength());
    writeHeader(dst, offset, FrameType.CLIENT_HELLO, 0, hello.payloadLength());
    hello.encodePayload(dst, offset + HEADER_LENGTH);
    return hello.frameLength();
  }

  /**
   * Writes a SERVER_HELLO frame.
   *
   * @param ackedSequence the highest sequence already acked for the client's session, 0 if none
   * @return {@link ServerHello#FRAME_LENGTH}
   */
  public static int writeServerHello(
      byte[] dst, int offset, long ackedSequence, ServerHello hello) {
    requireNonNull(hello, "hello");
    checkRoom(dst, offset, ServerHello.FRAME_LENGTH);
    writeHeader(dst, offset, FrameType.SERVER_HELLO, ackedSequence, ServerHello.LENGTH);
    hello.encodePayload(dst, offset + HEADER_LENGTH);
    return ServerHello.FRAME_LENGTH;
  }

  private static void checkRoom(byte[] dst, int offset, int length) {
    if (offset < 0 || offset > dst.length - length) {
      throw new IndexOutOfBoundsException(
          "frame of "
              + length
              + " bytes must fit in the destination of "
              + dst.length
              + " bytes at offset: "
              + offset);
    }
  }
}
