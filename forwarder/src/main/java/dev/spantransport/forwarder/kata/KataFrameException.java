package dev.spantransport.forwarder.kata;

import java.io.IOException;

/**
 * A Kata agent frame that cannot be read or decoded: a length over the limit, a truncated or
 * malformed bincode or JSON payload, or a value of the wrong shape. The message names the rule, the
 * field path (e.g. {@code span_context.trace_id}) and the value seen. The connection that sent it
 * should be closed; other connections are not affected.
 */
public class KataFrameException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message that states the rule and the value seen.
   *
   * @param message the rule that was broken and the value seen
   */
  public KataFrameException(String message) {
    super(message);
  }

  /**
   * Creates an exception caused by a lower-level error (e.g. a JSON syntax error).
   *
   * @param message the rule that was broken and the value seen
   * @param cause the underlying error
   */
  public KataFrameException(String message, Throwable cause) {
    super(message, cause);
  }
}
