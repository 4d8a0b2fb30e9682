package dev.spantransport.wire;

/**
 * A frame header is not a span-transport header: wrong magic, or a version this reader does not
 * speak. {@link #value()} is what was seen in the offending field.
 */
public final class CorruptFrameException extends FrameException {

  private static final long serialVersionUID = 1L;

  private final String field;
  private final long value;

  /**
   * Creates an exception for header {@code field} (e.g. "magic") holding {@code value}, with a
   * message that states the rule.
   */
  public CorruptFrameException(String field, long value, String message) {
    super(message);
    this.field = field;
    this.value = value;
  }

  /** Returns the name of the header field that was wrong, e.g. {@code magic} or {@code version}. */
  public String field() {
    return field;
  }

  /** Returns the value seen in {@link #field()}. */
  public long value() {
    return value;
  }
}
