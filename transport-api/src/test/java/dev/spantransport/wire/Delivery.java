package dev.spantransport.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Feeds a byte stream to a {@link FrameReader} the way a connection owner does (read, flip, decode,
 * compact, grow to {@code requiredCapacity()}), in chunks chosen by the delivery mode.
 */
enum Delivery {
  WHOLE,
  ONE_BYTE_AT_A_TIME,
  RANDOM_SPLITS;

  /** A decoded frame, payload copied out of the reader's buffer. */
  record Frame(int type, long sequence, byte[] payload) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Frame f
          && f.type == type
          && f.sequence == sequence
          && Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
      return 31 * Long.hashCode(sequence) + type;
    }

    @Override
    public String toString() {
      return FrameType.name(type) + "#" + sequence + "(" + payload.length + " bytes)";
    }
  }

  /** Feeds all of {@code stream} and returns the frames delivered. */
  List<Frame> decode(FrameReader reader, byte[] stream) throws IOException {
    List<Frame> frames = new ArrayList<>();
    feed(reader, stream, frames);
    return frames;
  }

  /** Feeds {@code stream} into {@code frames}; an exception leaves the frames decoded so far. */
  void feed(FrameReader reader, byte[] stream, List<Frame> frames) throws IOException {
    Random random = new Random(42);
    ByteBuffer buffer =
        ByteBuffer.allocate(
            this == WHOLE
                ? Math.max(stream.length, FrameDescriptor.HEADER_LENGTH)
                : FrameDescriptor.HEADER_LENGTH);
    FrameHandler handler =
        (type, sequence, array, offset, length) ->
            frames.add(
                new Frame(type, sequence, Arrays.copyOfRange(array, offset, offset + length)));
    int sent = 0;
    while (sent < stream.length) {
      int chunk =
          switch (this) {
            case WHOLE -> stream.length - sent;
            case ONE_BYTE_AT_A_TIME -> 1;
            case RANDOM_SPLITS -> 1 + random.nextInt(Math.min(stream.length - sent, 40));
          };
      // the owner reads at most what fits, like channel.read(buffer)
      chunk = Math.min(chunk, buffer.remaining());
      buffer.put(stream, sent, chunk);
      sent += chunk;
      buffer.flip();
      reader.read(buffer, handler);
      buffer.compact();
      if (buffer.capacity() < reader.requiredCapacity()) {
        ByteBuffer bigger = ByteBuffer.allocate(reader.requiredCapacity());
        buffer.flip();
        bigger.put(buffer);
        buffer = bigger;
      } else if (!buffer.hasRemaining()) {
        throw new AssertionError(
            "reader made no progress with a full buffer of " + buffer.capacity() + " bytes");
      }
    }
  }
}
