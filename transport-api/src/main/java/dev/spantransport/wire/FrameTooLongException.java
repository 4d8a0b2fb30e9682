package dev.spantransport.wire;

/**
 * A frame header announces a payload longer than the reader's limit. It is raised as soon as the
 * header is complete, before any payload byte is awaited or buffered.
 */
public final class FrameTooLongException extends FrameException {

  private static final long serialVersionUID = 1L;

  private final long limit;
  private final long length;

  /** Creates an exception for a payload of {@code length} bytes against {@code limit}. */
  public FrameTooLongException(long limit, long length) {
    super("frame length must be at most " + limit + " bytes: " + length);
    this.limit = limit;
    this.length = length;
  }

  /** Returns the reader's limit on a frame's payload length. */
  public long limit() {
    return limit;
  }

  /** Returns the payload length the header announced. */
  public long length() {
    return length;
  }
}
