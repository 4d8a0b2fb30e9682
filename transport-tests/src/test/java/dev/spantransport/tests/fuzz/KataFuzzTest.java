package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.spantransport.forwarder.kata.KataFrameException;
import dev.spantransport.forwarder.kata.KataFrameReader;
import dev.spantransport.forwarder.kata.KataSpanDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the Kata agent path, {@link KataFrameReader} plus {@link KataSpanDecoder}, with arbitrary
 * bytes. Only {@link KataFrameException} may escape; a stream read in chunks yields the same spans
 * and error as read in one piece; the buffer never grows beyond header plus the limit.
 *
 * <p>Input: the stream (or, in raw mode, one span payload), then (consumed from the end) raw mode,
 * the max payload length (1 to 65,536), the number of split sizes (0 to 15) and the split sizes (1
 * to 256).
 */
class KataFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void readAndDecodeRejectOnlyWithKataFrameException(FuzzedDataProvider data) throws Exception {
    boolean raw = data.consumeBoolean();
    int maxPayloadLength = data.consumeInt(1, 65536);
    int[] splits = new int[data.consumeInt(0, 15)];
    for (int i = 0; i < splits.length; i++) {
      splits[i] = data.consumeInt(1, 256);
    }
    byte[] stream = data.consumeRemainingAsBytes();
    check(raw, maxPayloadLength, splits, stream);
  }

  static byte[] seed(boolean raw, int maxPayloadLength, int[] splits, byte[] stream) {
    FuzzTail tail =
        new FuzzTail()
            .bool(raw)
            .intInRange(1, 65536, maxPayloadLength)
            .intInRange(0, 15, splits.length);
    for (int split : splits) {
      tail.intInRange(1, 256, split);
    }
    return tail.appendTo(stream);
  }

  static void check(boolean raw, int maxPayloadLength, int[] splits, byte[] stream)
      throws Exception {
    KataSpanDecoder decoder = new KataSpanDecoder("kata-agent", maxPayloadLength);
    if (raw) {
      try {
        decoder.decode(stream, 0, stream.length);
      } catch (KataFrameException expected) {
        // documented rejection
      }
      return;
    }
    List<Object> whole = new ArrayList<>();
    KataFrameReader wholeReader = new KataFrameReader(maxPayloadLength);
    try {
      wholeReader.read(ByteBuffer.wrap(stream), (b, o, l) -> whole.add(decode(decoder, b, o, l)));
    } catch (KataFrameException e) {
      whole.add(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    List<Object> chunked = new ArrayList<>();
    KataFrameReader chunkedReader = new KataFrameReader(maxPayloadLength);
    try {
      ChunkedFeed.feed(
          stream,
          splits,
          new ChunkedFeed.Reader() {
            @Override
            public void read(ByteBuffer buffer) throws IOException {
              chunkedReader.read(buffer, (b, o, l) -> chunked.add(decode(decoder, b, o, l)));
            }

            @Override
            public int requiredCapacity() {
              return chunkedReader.requiredCapacity();
            }
          },
          KataFrameReader.HEADER_LENGTH + maxPayloadLength);
    } catch (KataFrameException e) {
      chunked.add(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    assertEquals(whole, chunked, "chunked read must match the whole-buffer read");
  }

  /**
   * Decodes one frame; a rejected payload is recorded, not thrown. Only the fact of rejection is
   * compared: Jackson's messages for UTF-32 input count bytes from the start of the array, not of
   * the payload, so they differ with the payload's place in the buffer.
   */
  private static Object decode(KataSpanDecoder decoder, byte[] buffer, int offset, int length) {
    try {
      return SpanFacts.of(decoder.decode(buffer, offset, length));
    } catch (KataFrameException e) {
      return "rejected";
    }
  }
}
