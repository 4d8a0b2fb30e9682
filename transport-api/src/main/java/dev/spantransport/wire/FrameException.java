package dev.spantransport.wire;

import java.io.IOException;

/**
 * A byte stream broke the framing rules of the protocol. It is an {@link IOException} because it
 * means the same thing as a failed read: the connection it came from cannot be trusted any more and
 * must be closed. Its message states the rule and the value seen.
 */
public class FrameException extends IOException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with {@code message}. */
  public FrameException(String message) {
    super(message);
  }
}
