package dev.spantransport.forwarder.kata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KataFrameReaderTest {

  /** Payloads of assorted sizes, including empty and one larger than the initial buffer. */
  private static List<byte[]> payloads() {
    List<byte[]> payloads = new ArrayList<>();
    payloads.add("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    payloads.add(new byte[0]);
    payloads.add("x".getBytes(StandardCharsets.UTF_8));
    byte[] big = new byte[3000];
    new Random(7).nextBytes(big);
    payloads.add(big);
    payloads.add("{\"name\":\"容器\"}".getBytes(StandardCharsets.UTF_8));
    return payloads;
  }

  private static byte[] stream(List<byte[]> payloads) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : payloads) {
      out.writeBytes(SerdeSpanWriter.frame(p));
    }
    return out.toByteArray();
  }

  /**
   * Feeds {@code bytes} to a reader in chunks whose sizes come from {@code chunk}, as a
   * non-blocking connection would: append, flip, read, compact, and grow the buffer when the reader
   * asks for more than fits.
   */
  static List<byte[]> feed(byte[] bytes, IntUnaryOperator chunk, KataFrameReader reader)
      throws KataFrameException {
    List<byte[]> frames = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(64);
    int sent = 0;
    while (sent < bytes.length) {
      int n = Math.min(Math.min(chunk.applyAsInt(sent), bytes.length - sent), buffer.remaining());
      buffer.put(bytes, sent, n);
      sent += n;
      buffer.flip();
      reader.read(buffer, (b, off, len) -> frames.add(Arrays.copyOfRange(b, off, off + len)));
      buffer.compact();
      if (buffer.capacity() < reader.requiredCapacity()) {
        ByteBuffer bigger = ByteBuffer.allocate(reader.requiredCapacity());
        buffer.flip();
        bigger.put(buffer);
        buffer = bigger;
      }
    }
    assertEquals(0, buffer.position(), "nothing left over after the last frame");
    return frames;
  }

  private static void assertFrames(List<byte[]> expected, List<byte[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
    }
  }

  @Test
  void deliversWholeFrames() throws Exception {
    List<byte[]> payloads = payloads();
    byte[] bytes = stream(payloads);
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    List<byte[]> frames = new ArrayList<>();
    int count =
        new KataFrameReader()
            .read(buffer, (b, off, len) -> frames.add(Arrays.copyOfRange(b, off, off + len)));
    assertEquals(payloads.size(), count);
    assertFalse(buffer.hasRemaining());
    assertFrames(payloads, frames);
  }

  @Test
  void deliversSameFramesFedOneByteAtATime() throws Exception {
    List<byte[]> payloads = payloads();
    assertFrames(payloads, feed(stream(payloads), i -> 1, new KataFrameReader()));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 4242})
  void deliversSameFramesFedInRandomSplits(long seed) throws Exception {
    List<byte[]> payloads = payloads();
    Random random = new Random(seed);
    assertFrames(
        payloads, feed(stream(payloads), i -> 1 + random.nextInt(200), new KataFrameReader()));
  }

  @Test
  void consumesNothingOfAnIncompleteFrame() throws Exception {
    byte[] frame = SerdeSpanWriter.frame("{\"k\":true}".getBytes(StandardCharsets.UTF_8));
    KataFrameReader reader = new KataFrameReader();
    for (int length = 0; length < frame.length; length++) {
      ByteBuffer buffer = ByteBuffer.wrap(frame, 0, length);
      assertEquals(0, reader.read(buffer, (b, off, len) -> Assertions.fail()));
      assertEquals(0, buffer.position(), "prefix of " + length);
    }
  }

  @Test
  void reportsRequiredCapacityOfPendingFrame() throws Exception {
    KataFrameReader reader = new KataFrameReader();
    assertEquals(8, reader.requiredCapacity());
    byte[] frame = SerdeSpanWriter.frame(new byte[500]);
    reader.read(ByteBuffer.wrap(frame, 0, 5), (b, off, len) -> {});
    assertEquals(8, reader.requiredCapacity(), "header not complete yet");
    reader.read(ByteBuffer.wrap(frame, 0, 10), (b, off, len) -> {});
    assertEquals(508, reader.requiredCapacity());
    reader.read(ByteBuffer.wrap(frame), (b, off, len) -> {});
    assertEquals(8, reader.requiredCapacity());
  }

  @Test
  void rejectsFrameLongerThanMaxBeforeTheBody() {
    KataFrameReader reader = new KataFrameReader(1000);
    byte[] header = Arrays.copyOf(SerdeSpanWriter.frame(new byte[1001]), 8);
    KataFrameTooLongException e =
        assertThrows(
            KataFrameTooLongException.class,
            () -> reader.read(ByteBuffer.wrap(header), (b, off, len) -> {}));
    assertEquals("kata frame payload length must be at most 1000 bytes: 1001", e.getMessage());
    assertEquals(1000, e.maxLength());
    assertEquals(1001, e.length());
  }

  @Test
  void rejectsLengthAboveSignedRangeAsUnsigned() {
    byte[] header = new byte[8];
    Arrays.fill(header, (byte) 0xFF);
    KataFrameTooLongException e =
        assertThrows(
            KataFrameTooLongException.class,
            () -> new KataFrameReader().read(ByteBuffer.wrap(header), (b, off, len) -> {}));
    assertEquals(
        "kata frame payload length must be at most 8388608 bytes: 18446744073709551615",
        e.getMessage());
  }

  @Test
  void acceptsFrameOfExactlyMaxLength() throws Exception {
    byte[] payload = new byte[1000];
    List<byte[]> frames = feed(SerdeSpanWriter.frame(payload), i -> 100, new KataFrameReader(1000));
    assertFrames(List.of(payload), frames);
  }

  @Test
  void passesHandlerRejectionToCaller() {
    byte[] bytes = stream(payloads());
    KataFrameException e =
        assertThrows(
            KataFrameException.class,
            () ->
                new KataFrameReader()
                    .read(
                        ByteBuffer.wrap(bytes),
                        (b, off, len) -> {
                          throw new KataFrameException("rejected");
                        }));
    assertEquals("rejected", e.getMessage());
  }

  @Test
  void rejectsBufferWithoutArray() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new KataFrameReader().read(ByteBuffer.allocateDirect(8), (b, off, len) -> {}));
    assertEquals("buffer must be a heap buffer with an accessible array", e.getMessage());
  }

  @Test
  void rejectsMaxPayloadLengthOutOfRange() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new KataFrameReader(0));
    assertEquals("maxPayloadLength must be between 1 and 2147483631: 0", e.getMessage());
  }

  @Test
  void detectsKataStreamByFirstByteZero() {
    assertTrue(KataFrameReader.looksLikeKataStream((byte) 0));
    assertFalse(KataFrameReader.looksLikeKataStream((byte) 0x53), "span-transport magic 'S'");
    assertFalse(KataFrameReader.looksLikeKataStream((byte) 0x01));
  }

  /** Local alias so the lambda above reads plainly. */
  private static final class Assertions {
    static void fail() {
      org.junit.jupiter.api.Assertions.fail("no frame expected");
    }
  }
}
