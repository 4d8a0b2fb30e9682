package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameException;
import dev.spantransport.wire.FrameReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes {@link FrameReader} with arbitrary bytes and arbitrary split points. Only {@link
 * FrameException} subtypes may escape; a stream fed in chunks through a compacting, growing buffer
 * must deliver exactly the frames (and the same error) as the same stream read in one piece; the
 * buffer never grows beyond header plus the limit.
 *
 * <p>Input: the stream, then (consumed from the end) the max frame length (0 to 65,535), the number
 * of split sizes (0 to 15, 0 meaning one chunk) and the split sizes (1 to 256).
 */
class FrameReaderFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void chunkedReadMatchesWholeRead(FuzzedDataProvider data) throws Exception {
    Input in = Input.consume(data);
    Outcome whole = readWhole(in);
    Outcome chunked = readChunked(in);
    assertEquals(whole, chunked, "chunked read must match the whole-buffer read");
  }

  /** Decoded fuzz input; {@link #seed} writes one. */
  static final class Input {
    final int maxFrameLength;
    final int[] splits;
    final byte[] stream;

    Input(int maxFrameLength, int[] splits, byte[] stream) {
      this.maxFrameLength = maxFrameLength;
      this.splits = splits;
      this.stream = stream;
    }

    static Input consume(FuzzedDataProvider data) {
      int maxFrameLength = data.consumeInt(0, 65535);
      int[] splits = new int[data.consumeInt(0, 15)];
      for (int i = 0; i < splits.length; i++) {
        splits[i] = data.consumeInt(1, 256);
      }
      return new Input(maxFrameLength, splits, data.consumeRemainingAsBytes());
    }

    byte[] seed() {
      FuzzTail tail = new FuzzTail().intInRange(0, 65535, maxFrameLength);
      tail.intInRange(0, 15, splits.length);
      for (int split : splits) {
        tail.intInRange(1, 256, split);
      }
      return tail.appendTo(stream);
    }
  }

  static Outcome readWhole(Input in) {
    FrameReader reader = new FrameReader(in.maxFrameLength);
    Outcome outcome = new Outcome();
    try {
      reader.read(ByteBuffer.wrap(in.stream), outcome::onFrame);
    } catch (FrameException e) {
      outcome.error = e.getClass().getSimpleName() + ": " + e.getMessage();
    } catch (java.io.IOException e) {
      throw new AssertionError("only FrameException may escape FrameReader.read", e);
    }
    outcome.skipped = reader.framesSkipped();
    return outcome;
  }

  static Outcome readChunked(Input in) {
    FrameReader reader = new FrameReader(in.maxFrameLength);
    Outcome outcome = new Outcome();
    try {
      ChunkedFeed.feed(
          in.stream,
          in.splits,
          new ChunkedFeed.Reader() {
            @Override
            public void read(ByteBuffer buffer) throws java.io.IOException {
              reader.read(buffer, outcome::onFrame);
            }

            @Override
            public int requiredCapacity() {
              return reader.requiredCapacity();
            }
          },
          FrameDescriptor.HEADER_LENGTH + in.maxFrameLength);
    } catch (FrameException e) {
      outcome.error = e.getClass().getSimpleName() + ": " + e.getMessage();
    } catch (java.io.IOException e) {
      throw new AssertionError("only FrameException may escape FrameReader.read", e);
    }
    outcome.skipped = reader.framesSkipped();
    return outcome;
  }

  /** What a read delivered: the frames, the error that ended it, the unknown frames skipped. */
  static final class Outcome {
    final List<String> frames = new ArrayList<>();
    String error;
    long skipped;

    void onFrame(int type, long sequence, byte[] buffer, int offset, int length) {
      frames.add(
          type
              + "/"
              + sequence
              + "/"
              + Arrays.toString(Arrays.copyOfRange(buffer, offset, offset + length)));
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Outcome)) {
        return false;
      }
      Outcome that = (Outcome) o;
      return frames.equals(that.frames)
          && java.util.Objects.equals(error, that.error)
          && skipped == that.skipped;
    }

    @Override
    public int hashCode() {
      return frames.hashCode();
    }

    @Override
    public String toString() {
      return "Outcome{frames=" + frames + ", error=" + error + ", skipped=" + skipped + "}";
    }
  }
}
