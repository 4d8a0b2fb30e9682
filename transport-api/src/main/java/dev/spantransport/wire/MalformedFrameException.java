package dev.spantransport.wire;

/**
 * A well-framed control frame has a payload that cannot be decoded, e.g. a CLIENT_HELLO shorter
 * than its fixed fields. Answer it with {@link ErrorCode#MALFORMED_FRAME} and close.
 */
public final class MalformedFrameException extends FrameException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message stating the rule and the value seen. */
  public MalformedFrameException(String message) {
    super(message);
  }
}
