package dev.spantransport.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HelloTest {

  private static final SessionId SESSION = SessionId.of(0xCAFEBABE00000001L, 0x8000000000000000L);

  @Test
  void clientHelloRoundTripsWithEveryField() throws MalformedFrameException {
    ClientHello hello = ClientHello.create(1, 3, SESSION, 0xFFFF_FFFFL, "agent/1.0 – ü");
    byte[] frame = new byte[hello.frameLength()];

    assertEquals(hello.frameLength(), FrameWriter.writeClientHello(frame, 0, hello));

    ClientHello decoded =
        ClientHello.decode(frame, FrameDescriptor.HEADER_LENGTH, hello.payloadLength());
    assertEquals(hello, decoded);
    assertEquals(hello.hashCode(), decoded.hashCode());
    assertEquals(0xFFFF_FFFFL, decoded.capabilities());
    assertEquals("agent/1.0 – ü", decoded.agentName());
    assertEquals(FrameType.CLIENT_HELLO, FrameDescriptor.type(frame, 0));
    assertEquals(0, FrameDescriptor.sequence(frame, 0));
    assertEquals(hello.payloadLength(), FrameDescriptor.length(frame, 0));
  }

  @Test
  void clientHelloDefaultsToTheVersionsThisLibrarySpeaks() {
    ClientHello hello = ClientHello.create(SESSION, "a");
    assertEquals(FrameDescriptor.MIN_SUPPORTED_VERSION, hello.minVersion());
    assertEquals(FrameDescriptor.MAX_SUPPORTED_VERSION, hello.maxVersion());
    assertEquals(0, hello.capabilities());
  }

  @Test
  void clientHelloIgnoresTrailingBytes() throws MalformedFrameException {
    ClientHello hello = ClientHello.create(SESSION, "agent");
    byte[] frame = new byte[hello.frameLength() + 7];
    FrameWriter.writeClientHello(frame, 0, hello);
    Arrays.fill(frame, hello.frameLength(), frame.length, (byte) 0x7F);

    assertEquals(
        hello, ClientHello.decode(frame, FrameDescriptor.HEADER_LENGTH, hello.payloadLength() + 7));
  }

  @Test
  void clientHelloWithEmptyAgentNameDecodes() throws MalformedFrameException {
    ClientHello hello = ClientHello.create(SESSION, "");
    byte[] frame = new byte[hello.frameLength()];
    FrameWriter.writeClientHello(frame, 0, hello);

    assertEquals(ClientHello.FIXED_LENGTH, hello.payloadLength());
    assertEquals(hello, ClientHello.decode(frame, FrameDescriptor.HEADER_LENGTH, 26));
  }

  @Test
  void rejectsTruncatedClientHello() {
    MalformedFrameException e =
        assertThrows(MalformedFrameException.class, () -> ClientHello.decode(new byte[25], 0, 25));
    assertEquals("CLIENT_HELLO payload must be at least 26 bytes: 25", e.getMessage());
  }

  @Test
  void rejectsClientHelloWhoseAgentNameOverrunsThePayload() {
    ClientHello hello = ClientHello.create(SESSION, "agent");
    byte[] frame = new byte[hello.frameLength()];
    FrameWriter.writeClientHello(frame, 0, hello);

    MalformedFrameException e =
        assertThrows(
            MalformedFrameException.class,
            () ->
                ClientHello.decode(
                    frame, FrameDescriptor.HEADER_LENGTH, hello.payloadLength() - 1));
    assertEquals(
        "CLIENT_HELLO agent name length must fit in the 4 bytes after the fixed fields: 5",
        e.getMessage());
  }

  @Test
  void rejectsClientHelloWithMinVersionAboveMax() {
    byte[] payload = new byte[ClientHello.FIXED_LENGTH];
    FrameDescriptor.putU16(payload, ClientHello.MIN_VERSION_OFFSET, 3);
    FrameDescriptor.putU16(payload, ClientHello.MAX_VERSION_OFFSET, 2);

    MalformedFrameException e =
        assertThrows(
            MalformedFrameException.class, () -> ClientHello.decode(payload, 0, payload.length));
    assertEquals("CLIENT_HELLO minVersion must not exceed maxVersion 2: 3", e.getMessage());
  }

  @Test
  void clientHelloFactoryValidatesAtTheDoor() {
    assertEquals(
        "minVersion must be between 1 and 65535: 0",
        assertThrows(
                IllegalArgumentException.class, () -> ClientHello.create(0, 1, SESSION, 0, "a"))
            .getMessage());
    assertEquals(
        "minVersion must not exceed maxVersion 1: 2",
        assertThrows(
                IllegalArgumentException.class, () -> ClientHello.create(2, 1, SESSION, 0, "a"))
            .getMessage());
    assertEquals(
        "agentName must be at most 65535 UTF-8 bytes: 65536",
        assertThrows(
                IllegalArgumentException.class,
                () -> ClientHello.create(SESSION, "x".repeat(65_536)))
            .getMessage());
    assertThrows(NullPointerException.class, () -> ClientHello.create(null, "a"));
  }

  @Test
  void serverHelloRoundTripsWithAckedSequence() throws MalformedFrameException {
    ServerHello hello = ServerHello.create(1, 0, FrameDescriptor.MAX_FRAME_LENGTH, 1000, 32);
    byte[] frame = new byte[ServerHello.FRAME_LENGTH];

    assertEquals(
        ServerHello.FRAME_LENGTH, FrameWriter.writeServerHello(frame, 0, 0x1_0000_0000L, hello));

    assertEquals(FrameType.SERVER_HELLO, FrameDescriptor.type(frame, 0));
    assertEquals(0x1_0000_0000L, FrameDescriptor.sequence(frame, 0));
    ServerHello decoded =
        ServerHello.decode(frame, FrameDescriptor.HEADER_LENGTH, ServerHello.LENGTH);
    assertEquals(hello, decoded);
    assertEquals(hello.hashCode(), decoded.hashCode());
    assertEquals(32, decoded.window());
    assertEquals(1000, decoded.maxSpansPerFrame());
  }

  @Test
  void serverHelloIgnoresTrailingBytes() throws MalformedFrameException {
    ServerHello hello = ServerHello.create(1, 5, 4096, 10, 1);
    byte[] frame = new byte[ServerHello.FRAME_LENGTH + 4];
    FrameWriter.writeServerHello(frame, 0, 0, hello);

    assertEquals(
        hello, ServerHello.decode(frame, FrameDescriptor.HEADER_LENGTH, ServerHello.LENGTH + 4));
  }

  @Test
  void rejectsTruncatedServerHello() {
    MalformedFrameException e =
        assertThrows(MalformedFrameException.class, () -> ServerHello.decode(new byte[17], 0, 17));
    assertEquals("SERVER_HELLO payload must be at least 18 bytes: 17", e.getMessage());
  }

  @Test
  void rejectsServerHelloWithZeroWindow() {
    byte[] payload = new byte[ServerHello.LENGTH];
    FrameDescriptor.putU16(payload, ServerHello.VERSION_OFFSET, 1);
    FrameDescriptor.putU32(payload, ServerHello.MAX_FRAME_LENGTH_OFFSET, 100);
    FrameDescriptor.putU32(payload, ServerHello.MAX_SPANS_PER_FRAME_OFFSET, 100);

    MalformedFrameException e =
        assertThrows(
            MalformedFrameException.class, () -> ServerHello.decode(payload, 0, payload.length));
    assertEquals("SERVER_HELLO window must be at least 1: 0", e.getMessage());
  }

  @Test
  void negotiatesHighestCommonVersion() {
    assertEquals(1, ServerHello.negotiate(1, 1, 1, 1));
    assertEquals(2, ServerHello.negotiate(1, 3, 2, 2));
    assertEquals(3, ServerHello.negotiate(1, 3, 2, 5));
    assertEquals(2, ServerHello.negotiate(2, 4, 1, 2));
  }

  @Test
  void negotiationWithoutCommonVersionReturnsMinusOne() {
    assertEquals(-1, ServerHello.negotiate(2, 3, 1, 1));
    assertEquals(-1, ServerHello.negotiate(1, 1, 2, 3));
  }

  @Test
  void sessionIdPrintsAndParses32HexDigits() {
    assertEquals("cafebabe000000018000000000000000", SESSION.toString());
    assertEquals(SESSION, SessionId.parse(SESSION.toString()));
    assertEquals("000000000000000a000000000000000b", SessionId.of(10, 11).toString());
    assertNotEquals(SessionId.random(), SessionId.random());
    assertThrows(IllegalArgumentException.class, () -> SessionId.parse("xyz"));
  }
}
