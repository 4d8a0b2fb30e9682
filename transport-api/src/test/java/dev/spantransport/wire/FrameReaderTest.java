package dev.spantransport.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.wire.Delivery.Frame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FrameReaderTest {

  private static final int MAX = 1024;

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void decodesEveryFrameInOrder(Delivery delivery) throws IOException {
    Stream stream = new Stream();
    stream.spans(1, payload(100, 1));
    stream.ack(1);
    stream.spans(2, payload(300, 2));
    stream.ping(0xDEADBEEFL);
    stream.spans(3, payload(1, 3));

    List<Frame> frames = delivery.decode(new FrameReader(MAX), stream.bytes());

    assertEquals(
        List.of(
            new Frame(FrameType.SPANS, 1, payload(100, 1)),
            new Frame(FrameType.ACK, 1, new byte[0]),
            new Frame(FrameType.SPANS, 2, payload(300, 2)),
            new Frame(FrameType.PING, 0xDEADBEEFL, new byte[0]),
            new Frame(FrameType.SPANS, 3, payload(1, 3))),
        frames);
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void deliversZeroLengthPayloads(Delivery delivery) throws IOException {
    Stream stream = new Stream();
    stream.spans(7, new byte[0]);
    stream.pong(9);

    List<Frame> frames = delivery.decode(new FrameReader(MAX), stream.bytes());

    assertEquals(
        List.of(
            new Frame(FrameType.SPANS, 7, new byte[0]), new Frame(FrameType.PONG, 9, new byte[0])),
        frames);
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void acceptsFrameOfExactlyMaxLength(Delivery delivery) throws IOException {
    Stream stream = new Stream();
    stream.spans(1, payload(MAX, 5));
    stream.ack(1);

    List<Frame> frames = delivery.decode(new FrameReader(MAX), stream.bytes());

    assertEquals(
        List.of(
            new Frame(FrameType.SPANS, 1, payload(MAX, 5)),
            new Frame(FrameType.ACK, 1, new byte[0])),
        frames);
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void skipsUnknownFrameTypeAndDecodesTheNextFrame(Delivery delivery) throws IOException {
    Stream stream = new Stream();
    stream.spans(1, payload(10, 1));
    stream.frame(200, 77, payload(500, 9));
    stream.frame(0, 78, new byte[0]);
    stream.spans(2, payload(20, 2));
    FrameReader reader = new FrameReader(MAX);

    List<Frame> frames = delivery.decode(reader, stream.bytes());

    assertEquals(
        List.of(
            new Frame(FrameType.SPANS, 1, payload(10, 1)),
            new Frame(FrameType.SPANS, 2, payload(20, 2))),
        frames);
    assertEquals(2, reader.framesSkipped());
  }

  @Test
  void skipsUnknownFrameLargerThanTheBufferWithoutGrowingIt() throws IOException {
    Stream stream = new Stream();
    stream.frame(99, 1, payload(MAX, 1));
    stream.ack(5);
    byte[] bytes = stream.bytes();
    FrameReader reader = new FrameReader(MAX);
    ByteBuffer buffer = ByteBuffer.allocate(64);
    List<Long> acks = new ArrayList<>();
    int sent = 0;
    while (sent < bytes.length) {
      int n = Math.min(buffer.remaining(), bytes.length - sent);
      buffer.put(bytes, sent, n);
      sent += n;
      buffer.flip();
      reader.read(buffer, (type, seq, b, o, l) -> acks.add(seq));
      buffer.compact();
      assertTrue(reader.requiredCapacity() <= 64, "required " + reader.requiredCapacity());
    }
    assertEquals(List.of(5L), acks);
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void rejectsBadMagic(Delivery delivery) {
    Stream stream = new Stream();
    stream.ack(1);
    byte[] bytes = stream.bytes();
    bytes[FrameDescriptor.MAGIC_OFFSET] = 0x12;
    bytes[FrameDescriptor.MAGIC_OFFSET + 1] = 0x34;

    CorruptFrameException e =
        assertThrows(
            CorruptFrameException.class, () -> delivery.decode(new FrameReader(MAX), bytes));

    assertEquals("magic", e.field());
    assertEquals(0x1234, e.value());
    assertEquals("frame magic must be 0x5354 (\"ST\"): 0x1234", e.getMessage());
  }

  @Test
  void rejectsKataAgentStreamWithHint() {
    byte[] kata = new byte[FrameDescriptor.HEADER_LENGTH];
    kata[7] = 42; // 8-byte big-endian length: first byte 0

    CorruptFrameException e =
        assertThrows(
            CorruptFrameException.class, () -> Delivery.WHOLE.decode(new FrameReader(MAX), kata));

    assertTrue(e.getMessage().contains("Kata"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void rejectsUnknownVersion(Delivery delivery) {
    Stream stream = new Stream();
    stream.ack(1);
    byte[] bytes = stream.bytes();
    bytes[FrameDescriptor.VERSION_OFFSET] = 2;

    CorruptFrameException e =
        assertThrows(
            CorruptFrameException.class, () -> delivery.decode(new FrameReader(MAX), bytes));

    assertEquals("version", e.field());
    assertEquals(2, e.value());
    assertEquals("frame version must be 1: 2", e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void rejectsFrameLongerThanMaxBeforeThePayloadArrives(Delivery delivery) throws IOException {
    byte[] header = new byte[FrameDescriptor.HEADER_LENGTH];
    FrameWriter.writeHeader(header, 0, FrameType.SPANS, 1, MAX + 1);
    List<Frame> frames = new ArrayList<>();
    FrameReader reader = new FrameReader(MAX);

    FrameTooLongException e =
        assertThrows(FrameTooLongException.class, () -> delivery.feed(reader, header, frames));

    assertEquals(MAX, e.limit());
    assertEquals(MAX + 1, e.length());
    assertEquals("frame length must be at most 1024 bytes: 1025", e.getMessage());
    assertEquals(FrameDescriptor.HEADER_LENGTH, reader.requiredCapacity());
  }

  @Test
  void rejectsUnsignedLengthBeyondIntRange() {
    byte[] header = new byte[FrameDescriptor.HEADER_LENGTH];
    FrameWriter.writeHeader(header, 0, FrameType.SPANS, 1, 0);
    FrameDescriptor.putU32(header, FrameDescriptor.LENGTH_OFFSET, 0xFFFF_FFFFL);

    FrameTooLongException e =
        assertThrows(
            FrameTooLongException.class,
            () -> Delivery.WHOLE.decode(new FrameReader(FrameDescriptor.MAX_FRAME_LENGTH), header));

    assertEquals(0xFFFF_FFFFL, e.length());
  }

  @Test
  void rejectsUnknownFrameTypeLongerThanMax() {
    byte[] header = new byte[FrameDescriptor.HEADER_LENGTH];
    FrameWriter.writeHeader(header, 0, 99, 1, MAX + 1);

    assertThrows(
        FrameTooLongException.class, () -> Delivery.WHOLE.decode(new FrameReader(MAX), header));
  }

  @Test
  void consumesNothingUntilTheHeaderIsComplete() throws IOException {
    Stream stream = new Stream();
    stream.ack(3);
    ByteBuffer buffer = ByteBuffer.wrap(stream.bytes(), 0, FrameDescriptor.HEADER_LENGTH - 1);
    FrameReader reader = new FrameReader(MAX);

    assertEquals(0, reader.read(buffer, (t, s, b, o, l) -> {}));

    assertEquals(0, buffer.position());
    assertEquals(FrameDescriptor.HEADER_LENGTH, reader.requiredCapacity());
  }

  @Test
  void reportsRequiredCapacityOfPendingFrameOnceItsHeaderIsValidated() throws IOException {
    Stream stream = new Stream();
    stream.spans(1, payload(500, 1));
    ByteBuffer buffer = ByteBuffer.wrap(stream.bytes(), 0, FrameDescriptor.HEADER_LENGTH + 10);
    FrameReader reader = new FrameReader(MAX);

    assertEquals(0, reader.read(buffer, (t, s, b, o, l) -> {}));

    assertEquals(0, buffer.position());
    assertEquals(FrameDescriptor.HEADER_LENGTH + 500, reader.requiredCapacity());
  }

  @Test
  void deliversPayloadAsViewIntoTheBuffer() throws IOException {
    Stream stream = new Stream();
    stream.spans(1, payload(8, 1));
    byte[] bytes = stream.bytes();
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    List<Integer> offsets = new ArrayList<>();

    new FrameReader(MAX)
        .read(
            buffer,
            (t, s, b, o, l) -> {
              assertTrue(b == bytes, "payload must not be copied");
              offsets.add(o);
            });

    assertEquals(List.of(FrameDescriptor.HEADER_LENGTH), offsets);
    assertEquals(bytes.length, buffer.position());
  }

  @Test
  void honoursArrayOffsetOfSlicedBuffer() throws IOException {
    Stream stream = new Stream();
    stream.spans(4, payload(12, 4));
    byte[] frame = stream.bytes();
    byte[] backing = new byte[frame.length + 10];
    System.arraycopy(frame, 0, backing, 10, frame.length);
    ByteBuffer slice = ByteBuffer.wrap(backing, 10, frame.length).slice();
    List<Frame> frames = new ArrayList<>();

    new FrameReader(MAX)
        .read(
            slice,
            (t, s, b, o, l) ->
                frames.add(new Frame(t, s, java.util.Arrays.copyOfRange(b, o, o + l))));

    assertEquals(List.of(new Frame(FrameType.SPANS, 4, payload(12, 4))), frames);
  }

  @Test
  void rejectsDirectBuffer() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new FrameReader(MAX).read(ByteBuffer.allocateDirect(16), (t, s, b, o, l) -> {}));
  }

  @Test
  void rejectsMaxFrameLengthAboveHardCap() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new FrameReader(FrameDescriptor.MAX_FRAME_LENGTH + 1));
    assertEquals("maxFrameLength must be between 0 and 67108864: 67108865", e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void roundTripsEveryFrameType(Delivery delivery) throws IOException {
    SessionId session = SessionId.of(0x0102030405060708L, 0x090a0b0c0d0e0f10L);
    ClientHello clientHello = ClientHello.create(session, "span-transport-java/0.1.0 ✓");
    ServerHello serverHello = ServerHello.create(1, 0, 8 << 20, 65_536, 64);
    byte[] buf = new byte[4096];
    int n = 0;
    n += FrameWriter.writeClientHello(buf, n, clientHello);
    n += FrameWriter.writeServerHello(buf, n, 41, serverHello);
    n += FrameWriter.writeHeader(buf, n, FrameType.SPANS, 42, 5);
    System.arraycopy(payload(5, 42), 0, buf, n, 5);
    n += 5;
    n += FrameWriter.writeAck(buf, n, 42);
    n += FrameWriter.writeError(buf, n, 43, ErrorCode.SINK_UNAVAILABLE, false, "sink down");
    n += FrameWriter.writePing(buf, n, -1L);
    n += FrameWriter.writePong(buf, n, -1L);
    n += FrameWriter.writeGoAway(buf, n, 42, "host shutting down");
    byte[] stream = java.util.Arrays.copyOf(buf, n);

    List<Frame> frames = delivery.decode(new FrameReader(MAX), stream);

    assertEquals(8, frames.size());
    assertEquals(FrameType.CLIENT_HELLO, frames.get(0).type());
    assertEquals(0, frames.get(0).sequence());
    assertEquals(clientHello, decodeClientHello(frames.get(0)));
    assertEquals(FrameType.SERVER_HELLO, frames.get(1).type());
    assertEquals(41, frames.get(1).sequence());
    assertEquals(
        serverHello,
        ServerHello.decode(frames.get(1).payload(), 0, frames.get(1).payload().length));
    assertEquals(new Frame(FrameType.SPANS, 42, payload(5, 42)), frames.get(2));
    assertEquals(new Frame(FrameType.ACK, 42, new byte[0]), frames.get(3));
    assertEquals(FrameType.ERROR, frames.get(4).type());
    assertEquals(43, frames.get(4).sequence());
    assertEquals(
        ErrorFrame.create(ErrorCode.SINK_UNAVAILABLE, false, "sink down"),
        ErrorFrame.decode(frames.get(4).payload(), 0, frames.get(4).payload().length));
    assertEquals(new Frame(FrameType.PING, -1L, new byte[0]), frames.get(5));
    assertEquals(new Frame(FrameType.PONG, -1L, new byte[0]), frames.get(6));
    assertEquals(FrameType.GOAWAY, frames.get(7).type());
    assertEquals(42, frames.get(7).sequence());
    assertArrayEquals(
        "host shutting down".getBytes(StandardCharsets.UTF_8), frames.get(7).payload());
  }

  private static ClientHello decodeClientHello(Frame frame) throws MalformedFrameException {
    return ClientHello.decode(frame.payload(), 0, frame.payload().length);
  }

  static byte[] payload(int length, int seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Builds a byte stream of frames with {@link FrameWriter}. */
  static final class Stream {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    void frame(int type, long sequence, byte[] payload) {
      byte[] header = new byte[FrameDescriptor.HEADER_LENGTH];
      FrameWriter.writeHeader(header, 0, type, sequence, payload.length);
      out.writeBytes(header);
      out.writeBytes(payload);
    }

    void spans(long sequence, byte[] payload) {
      frame(FrameType.SPANS, sequence, payload);
    }

    void ack(long sequence) {
      byte[] b = new byte[FrameWriter.EMPTY_FRAME_LENGTH];
      FrameWriter.writeAck(b, 0, sequence);
      out.writeBytes(b);
    }

    void ping(long nonce) {
      byte[] b = new byte[FrameWriter.EMPTY_FRAME_LENGTH];
      FrameWriter.writePing(b, 0, nonce);
      out.writeBytes(b);
    }

    void pong(long nonce) {
      byte[] b = new byte[FrameWriter.EMPTY_FRAME_LENGTH];
      FrameWriter.writePong(b, 0, nonce);
      out.writeBytes(b);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
