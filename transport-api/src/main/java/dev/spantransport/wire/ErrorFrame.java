package dev.spantransport.wire;

import static dev.spantransport.wire.FrameDescriptor.getU16;
import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The payload of an ERROR frame, decoded. The frame's sequence (not part of this class) is the
 * SPANS sequence the error refers to, or 0 for the connection.
 *
 * <pre>
 *  0      2       3
 *  +------+-------+--------------------------------+
 *  | code | fatal | message, UTF-8, rest of payload |
 *  | u16  |  u8   |                                 |
 *  +------+-------+--------------------------------+
 * </pre>
 *
 * Senders write fatal as 0 or 1; a reader treats any non-zero value as fatal.
 */
public final class ErrorFrame {

  /** Offset of the u16 {@link ErrorCode}. */
  public static final int CODE_OFFSET = 0;

  /** Offset of the u8 fatal flag. */
  public static final int FATAL_OFFSET = 2;

  /** Offset of the UTF-8 message. */
  public static final int MESSAGE_OFFSET = 3;

  /** Length of the fixed fields, i.e. the payload of an error with an empty message. */
  public static final int FIXED_LENGTH = MESSAGE_OFFSET;

  private final int code;
  private final boolean fatal;
  private final String message;

  private ErrorFrame(int code, boolean fatal, String message) {
    this.code = code;
    this.fatal = fatal;
    this.message = message;
  }

  /** Returns an error with the given fields. */
  public static ErrorFrame create(int code, boolean fatal, String message) {
    requireNonNull(message, "message");
    if (code < 0 || code > FrameDescriptor.MAX_U16) {
      throw new IllegalArgumentException("code must be between 0 and 65535: " + code);
    }
    return new ErrorFrame(code, fatal, message);
  }

  /**
   * Decodes an ERROR payload.
   *
   * @throws MalformedFrameException if the payload is shorter than {@link #FIXED_LENGTH}
   */
  public static ErrorFrame decode(byte[] buffer, int offset, int length)
      throws MalformedFrameException {
    if (length < FIXED_LENGTH) {
      throw new MalformedFrameException(
          "ERROR payload must be at least " + FIXED_LENGTH + " bytes: " + length);
    }
    return new ErrorFrame(
        getU16(buffer, offset + CODE_OFFSET),
        buffer[offset + FATAL_OFFSET] != 0,
        new String(buffer, offset + MESSAGE_OFFSET, length - FIXED_LENGTH, StandardCharsets.UTF_8));
  }

  /** Returns the {@link ErrorCode}. */
  public int code() {
    return code;
  }

  /** Returns whether the sender closes the connection after this frame. */
  public boolean fatal() {
    return fatal;
  }

  /** Returns the human-readable message, possibly empty. */
  public String message() {
    return message;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ErrorFrame)) {
      return false;
    }
    ErrorFrame that = (ErrorFrame) o;
    return code == that.code && fatal == that.fatal && message.equals(that.message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, fatal, message);
  }

  @Override
  public String toString() {
    return "ErrorFrame{code="
        + ErrorCode.name(code)
        + ", fatal="
        + fatal
        + ", message="
        + message
        + "}";
  }
}
