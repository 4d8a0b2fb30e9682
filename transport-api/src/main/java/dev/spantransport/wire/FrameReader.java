package dev.spantransport.wire;

import static dev.spantransport.wire.FrameDescriptor.HEADER_LENGTH;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Decodes frames from a non-blocking byte stream; one instance per connection, used by one thread.
 *
 * <p>The owner keeps a heap {@link ByteBuffer} per connection and loops:
 *
 * <pre>{@code
 * channel.read(buffer);              // buffer in write mode
 * buffer.flip();
 * reader.read(buffer, handler);      // delivers every complete frame, leaves a partial one
 * buffer.compact();                  // keeps the partial frame, back to write mode
 * if (buffer.capacity() < reader.requiredCapacity()) {
 *   buffer = grow(buffer, reader.requiredCapacity()); // copy what is left into a bigger buffer
 * }
 * }</pre>
 *
 * <p>The reader consumes nothing of a frame until its 16-byte header is complete. It then checks
 * the magic, the version and the length against the limit <em>before</em> waiting for the payload,
 * so a hostile length never makes the owner allocate. A frame of an unknown type is skipped by its
 * length as its bytes arrive (it never needs to fit in the buffer). After a {@link FrameException}
 * the stream cannot be resynchronised: close the connection.
 */
public final class FrameReader {

  private final int maxFrameLength;
  private long skipRemaining;
  private int requiredCapacity = HEADER_LENGTH;
  private long framesSkipped;

  /**
   * Creates a reader that rejects any frame whose payload is longer than {@code maxFrameLength}.
   *
   * @param maxFrameLength payload limit in bytes, between 0 and {@link
   *     FrameDescriptor#MAX_FRAME_LENGTH}
   */
  public FrameReader(int maxFrameLength) {
    if (maxFrameLength < 0 || maxFrameLength > FrameDescriptor.MAX_FRAME_LENGTH) {
      throw new IllegalArgumentException(
          "maxFrameLength must be between 0 and "
              + FrameDescriptor.MAX_FRAME_LENGTH
              + ": "
              + maxFrameLength);
    }
    this.maxFrameLength = maxFrameLength;
  }

  /**
   * Delivers every complete frame in {@code buffer}'s [position, limit) to {@code handler}, in
   * order, and advances the position past the bytes consumed. A partial frame stays in place.
   * Frames of unknown type are skipped and not delivered. The position is advanced past a frame
   * before its handler runs, so a frame whose handler throws counts as consumed.
   *
   * @param buffer a heap buffer in read mode ({@code hasArray()} must be true)
   * @param handler receives each frame
   * @return the number of frames delivered to {@code handler}
   * @throws CorruptFrameException on a bad magic or version; the position stays at that header
   * @throws FrameTooLongException when a header announces more than the limit; the position stays
   *     at that header
   * @throws IOException whatever {@code handler} throws
   */
  public int read(ByteBuffer buffer, FrameHandler handler) throws IOException {
    if (!buffer.hasArray()) {
      throw new IllegalArgumentException("buffer must be a heap buffer with an accessible array");
    }
    byte[] array = buffer.array();
    int base = buffer.arrayOffset();
    int position = buffer.position();
    int limit = buffer.limit();
    int frames = 0;
    while (true) {
      if (skipRemaining > 0) {
        int n = (int) Math.min(skipRemaining, limit - position);
        position += n;
        skipRemaining -= n;
        if (skipRemaining > 0) {
          requiredCapacity = HEADER_LENGTH;
          break;
        }
      }
      if (limit - position < HEADER_LENGTH) {
        requiredCapacity = HEADER_LENGTH;
        break;
      }
      int header = base + position;
      long length = checkHeader(array, header);
      int type = FrameDescriptor.type(array, header);
      if (!FrameType.isKnown(type)) {
        position += HEADER_LENGTH;
        skipRemaining = length;
        framesSkipped++;
        continue;
      }
      int frameLength = HEADER_LENGTH + (int) length;
      if (limit - position < frameLength) {
        requiredCapacity = frameLength;
        break;
      }
      position += frameLength;
      buffer.position(position);
      requiredCapacity = HEADER_LENGTH;
      frames++;
      handler.onFrame(
          type,
          FrameDescriptor.sequence(array, header),
          array,
          header + HEADER_LENGTH,
          (int) length);
    }
    buffer.position(position);
    return frames;
  }

  /**
   * Returns how many bytes the buffer must be able to hold for the next {@link #read} to make
   * progress: the header length while a header is incomplete (or while an unknown frame is being
   * skipped), and header plus payload once the pending frame's header was validated. Grow the
   * buffer once to exactly this, never to a length the peer merely announced.
   */
  public int requiredCapacity() {
    return requiredCapacity;
  }

  /** Returns this reader's limit on a frame's payload length. */
  public int maxFrameLength() {
    return maxFrameLength;
  }

  /**
   * Returns whether the reader is in the middle of skipping the payload of a frame of unknown type
   * (its bytes are consumed as they arrive, so the buffer holds nothing of it).
   */
  public boolean skipping() {
    return skipRemaining > 0;
  }

  /** Returns how many frames of unknown type were skipped so far. */
  public long framesSkipped() {
    return framesSkipped;
  }

  private long checkHeader(byte[] array, int header) throws FrameException {
    int magic = FrameDescriptor.magic(array, header);
    if (magic != FrameDescriptor.MAGIC) {
      throw new CorruptFrameException(
          "magic",
          magic,
          "frame magic must be 0x5354 (\"ST\"): 0x"
              + String.format("%04x", magic)
              + kataHint(magic));
    }
    int version = FrameDescriptor.version(array, header);
    if (version != FrameDescriptor.CURRENT_VERSION) {
      throw new CorruptFrameException(
          "version",
          version,
          "frame version must be " + FrameDescriptor.CURRENT_VERSION + ": " + version);
    }
    long length = FrameDescriptor.length(array, header);
    if (length > maxFrameLength) {
      throw new FrameTooLongException(maxFrameLength, length);
    }
    return length;
  }

  private static String kataHint(int magic) {
    return (magic >>> 8) == 0 ? " (a first byte of 0 looks like a Kata agent stream)" : "";
  }
}
