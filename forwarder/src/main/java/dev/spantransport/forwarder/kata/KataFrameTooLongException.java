package dev.spantransport.forwarder.kata;

/**
 * A Kata agent frame whose announced payload length is above the reader's limit. It is raised as
 * soon as the 8-byte header is in, before any payload byte is waited for or buffered.
 */
public final class KataFrameTooLongException extends KataFrameException {
  private static final long serialVersionUID = 1L;

  private final long maxLength;
  private final long length;

  /**
   * Creates the exception.
   *
   * @param maxLength the largest payload length the reader accepts
   * @param length the announced payload length, an unsigned 64-bit value
   */
  public KataFrameTooLongException(long maxLength, long length) {
    super(
        "kata frame payload length must be at most "
            + maxLength
            + " bytes: "
            + Long.toUnsignedString(length));
    this.maxLength = maxLength;
    this.length = length;
  }

  /** Returns the largest payload length the reader accepts. */
  public long maxLength() {
    return maxLength;
  }

  /**
   * Returns the announced payload length as an unsigned 64-bit value (use {@link
   * Long#toUnsignedString(long)} to print it).
   */
  public long length() {
    return length;
  }
}
