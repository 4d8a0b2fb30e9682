package dev.spantransport.tests.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Plays the owner of a non-blocking connection: feeds a byte stream to a reader in chunks, through
 * one heap buffer that is compacted after every read and grown only to what the reader asks for. It
 * fails if the buffer would have to grow beyond {@code maxCapacity} (an allocation driven by a
 * length the limit should have rejected) or if the loop stops making progress.
 */
final class ChunkedFeed {

  /** One read step of the reader under test. */
  interface Reader {
    /** Reads what it can from {@code buffer} (read mode). */
    void read(ByteBuffer buffer) throws IOException;

    /** Returns the capacity the buffer needs for the next read to make progress. */
    int requiredCapacity();
  }

  private ChunkedFeed() {}

  /**
   * Feeds {@code stream} to {@code reader} in chunks of the sizes in {@code splits} (cycled); no
   * splits means one chunk. Exceptions from the reader propagate.
   */
  static void feed(byte[] stream, int[] splits, Reader reader, int maxCapacity) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(Math.min(16, maxCapacity));
    int position = 0;
    int chunkIndex = 0;
    while (position < stream.length) {
      int chunk =
          splits.length == 0
              ? stream.length - position
              : Math.min(splits[chunkIndex++ % splits.length], stream.length - position);
      int fed = 0;
      while (fed < chunk) {
        int n = Math.min(chunk - fed, buffer.remaining());
        buffer.put(stream, position + fed, n);
        fed += n;
        buffer.flip();
        reader.read(buffer);
        buffer.compact();
        int required = reader.requiredCapacity();
        if (required > maxCapacity) {
          throw new AssertionError(
              "reader asked for a buffer of " + required + " bytes, limit is " + maxCapacity);
        }
        if (buffer.capacity() < required) {
          ByteBuffer grown = ByteBuffer.allocate(required);
          buffer.flip();
          grown.put(buffer);
          buffer = grown;
        }
        if (n == 0 && buffer.remaining() == 0) {
          throw new AssertionError(
              "no progress: buffer full at "
                  + buffer.capacity()
                  + " bytes, reader requires "
                  + required);
        }
      }
      position += chunk;
    }
  }
}
