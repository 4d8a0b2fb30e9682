package dev.spantransport.forwarder.kata;

import java.nio.ByteBuffer;

/**
 * Reads the Kata agent's legacy span framing from a non-blocking connection.
 *
 * <p>The agent's {@code vsock-exporter} crate (kata-containers, {@code
 * src/agent/vsock-exporter/src/lib.rs}, {@code write_span}) sends each span as:
 *
 * <pre>
 *  0                              8
 *  +------------------------------+-----------------------------+
 *  | payload length (u64, BE)     |  payload (length bytes) ... |
 *  +------------------------------+-----------------------------+
 * </pre>
 *
 * <p>One reader belongs to one connection. {@link #read} looks at the readable bytes of a heap
 * buffer (position to limit), hands every complete frame to the handler and advances the position
 * past it. It consumes nothing of an incomplete frame: the caller compacts the buffer, reads more
 * from the socket and calls again, making sure the buffer can hold {@link #requiredCapacity()}
 * bytes. The length is checked against the limit as soon as the header is in, before the body is
 * waited for, so an oversized frame never causes a large allocation.
 *
 * <p>Not thread-safe: one connection, one thread at a time.
 */
public final class KataFrameReader {

  /** Bytes in the frame header: the payload length as an unsigned 64-bit big-endian integer. */
  public static final int HEADER_LENGTH = 8;

  /** Default largest payload length accepted: 8 MiB, the same default as our own protocol. */
  public static final int DEFAULT_MAX_PAYLOAD_LENGTH = 8 * 1024 * 1024;

  /** The largest payload length that can be configured, so that header + payload fits an array. */
  public static final int MAX_PAYLOAD_LENGTH_LIMIT = Integer.MAX_VALUE - 16;

  private final int maxPayloadLength;

  /** Payload length of the frame whose header has been seen but whose body is incomplete; -1. */
  private int pendingLength = -1;

  /** Creates a reader with the {@linkplain #DEFAULT_MAX_PAYLOAD_LENGTH default limit}. */
  public KataFrameReader() {
    this(DEFAULT_MAX_PAYLOAD_LENGTH);
  }

  /**
   * Creates a reader.
   *
   * @param maxPayloadLength the largest payload length accepted, 1 to {@value
   *     #MAX_PAYLOAD_LENGTH_LIMIT}
   */
  public KataFrameReader(int maxPayloadLength) {
    if (maxPayloadLength < 1 || maxPayloadLength > MAX_PAYLOAD_LENGTH_LIMIT) {
      throw new IllegalArgumentException(
          "maxPayloadLength must be between 1 and "
              + MAX_PAYLOAD_LENGTH_LIMIT
              + ": "
              + maxPayloadLength);
    }
    this.maxPayloadLength = maxPayloadLength;
  }

  /**
   * Tells whether a connection's first byte starts a Kata agent stream.
   *
   * <p>Rule: a Kata stream starts with a u64 big-endian length, whose first byte is 0 for any
   * payload under 2^56 bytes; span-transport's own protocol starts with its magic {@code 0x5354}
   * ("ST"), so its first byte is 0x53. A first byte of 0 therefore means Kata framing.
   *
   * @param firstByte the first byte received on the connection
   * @return true if the connection carries Kata agent frames
   */
  public static boolean looksLikeKataStream(byte firstByte) {
    return firstByte == 0;
  }

  /**
   * Delivers every complete frame between the buffer's position and limit to {@code handler},
   * advancing the position past each one before its handler call. An incomplete frame is left in
   * place.
   *
   * @param buffer a heap buffer in read mode (bytes to read between position and limit)
   * @param handler receives each complete frame's payload
   * @return the number of frames delivered
   * @throws KataFrameTooLongException if a header announces a payload above the limit
   * @throws KataFrameException if the handler rejects a frame
   * @throws IllegalArgumentException if the buffer has no accessible array
   */
  public int read(ByteBuffer buffer, KataFrameHandler handler) throws KataFrameException {
    if (!buffer.hasArray()) {
      throw new IllegalArgumentException("buffer must be a heap buffer with an accessible array");
    }
    int frames = 0;
    while (true) {
      int position = buffer.position();
      int available = buffer.limit() - position;
      if (available < HEADER_LENGTH) {
        pendingLength = -1;
        return frames;
      }
      long length = readLength(buffer.array(), buffer.arrayOffset() + position);
      // Unsigned compare: a u64 above 2^63 reads as negative.
      if (Long.compareUnsigned(length, maxPayloadLength) > 0) {
        throw new KataFrameTooLongException(maxPayloadLength, length);
      }
      int payloadLength = (int) length;
      if (available - HEADER_LENGTH < payloadLength) {
        pendingLength = payloadLength;
        return frames;
      }
      pendingLength = -1;
      buffer.position(position + HEADER_LENGTH + payloadLength);
      frames++;
      handler.onFrame(
          buffer.array(), buffer.arrayOffset() + position + HEADER_LENGTH, payloadLength);
    }
  }

  /** Reads the u64 big-endian header without touching the buffer's position or byte order. */
  private static long readLength(byte[] array, int index) {
    long value = 0;
    for (int i = 0; i < HEADER_LENGTH; i++) {
      value = (value << 8) | (array[index + i] & 0xFF);
    }
    return value;
  }

  /**
   * Returns how many bytes the buffer must be able to hold, from its position, for the frame being
   * read to complete: the header length when no header is pending, else header plus the announced
   * payload length.
   */
  public int requiredCapacity() {
    return pendingLength < 0 ? HEADER_LENGTH : HEADER_LENGTH + pendingLength;
  }

  /** Returns the largest payload length this reader accepts. */
  public int maxPayloadLength() {
    return maxPayloadLength;
  }

  @Override
  public String toString() {
    return "KataFrameReader{maxPayloadLength=" + maxPayloadLength + "}";
  }
}
