package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorFrame;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameReader;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.MalformedFrameException;
import dev.spantransport.wire.ServerHello;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Fuzzes the handshake and error payload decoders ({@link ClientHello#decode}, {@link
 * ServerHello#decode}, {@link ErrorFrame#decode}). Only {@link MalformedFrameException} may escape;
 * a decoder reads nothing outside its range (the same payload inside a larger array, with other
 * bytes around it, decodes to the same value); and what decodes, written back with {@link
 * FrameWriter} and read through a {@link FrameReader}, decodes to an equal value.
 *
 * <p>Input: the payload, then (consumed from the end) which decoder, 0 to 2.
 */
class HandshakeFuzzTest {

  static final int CLIENT_HELLO = 0;
  static final int SERVER_HELLO = 1;
  static final int ERROR = 2;

  @FuzzTest(maxDuration = "30s")
  void decodeIsBoundedAndRoundTrips(FuzzedDataProvider data) throws Exception {
    int which = data.consumeInt(0, 2);
    byte[] payload = data.consumeRemainingAsBytes();
    check(which, payload);
  }

  static byte[] seed(int which, byte[] payload) {
    return new FuzzTail().intInRange(0, 2, which).appendTo(payload);
  }

  static void check(int which, byte[] payload) throws Exception {
    Object exact = decodeOrError(which, payload, 0, payload.length);
    byte[] padded = new byte[payload.length + 64];
    Arrays.fill(padded, (byte) 0xA5);
    System.arraycopy(payload, 0, padded, 7, payload.length);
    Object inPadded = decodeOrError(which, padded, 7, payload.length);
    assertEquals(exact, inPadded, "decoding must depend only on the payload's own bytes");
    if (exact instanceof String) {
      return; // rejected with MalformedFrameException, as documented
    }
    byte[] frame = write(exact);
    byte[][] reread = new byte[1][];
    FrameReader reader = new FrameReader(FrameDescriptor.MAX_FRAME_LENGTH);
    int frames =
        reader.read(
            ByteBuffer.wrap(frame),
            (type, sequence, buffer, offset, length) ->
                reread[0] = Arrays.copyOfRange(buffer, offset, offset + length));
    assertEquals(1, frames, "a written frame must read back as one frame");
    assertEquals(exact, decode(which, reread[0], 0, reread[0].length), "round trip of " + exact);
  }

  private static Object decodeOrError(int which, byte[] buffer, int offset, int length) {
    try {
      return Objects.requireNonNull(decode(which, buffer, offset, length));
    } catch (MalformedFrameException e) {
      return "MalformedFrameException: " + e.getMessage();
    }
  }

  private static Object decode(int which, byte[] buffer, int offset, int length)
      throws MalformedFrameException {
    switch (which) {
      case CLIENT_HELLO:
        return ClientHello.decode(buffer, offset, length);
      case SERVER_HELLO:
        return ServerHello.decode(buffer, offset, length);
      default:
        return ErrorFrame.decode(buffer, offset, length);
    }
  }

  private static byte[] write(Object decoded) {
    if (decoded instanceof ClientHello) {
      ClientHello hello = (ClientHello) decoded;
      byte[] frame = new byte[hello.frameLength()];
      FrameWriter.writeClientHello(frame, 0, hello);
      return frame;
    }
    if (decoded instanceof ServerHello) {
      byte[] frame = new byte[ServerHello.FRAME_LENGTH];
      FrameWriter.writeServerHello(frame, 0, 0, (ServerHello) decoded);
      return frame;
    }
    ErrorFrame error = (ErrorFrame) decoded;
    byte[] frame = new byte[FrameWriter.errorFrameLength(error.message())];
    FrameWriter.writeError(frame, 0, 0, error.code(), error.fatal(), error.message());
    return frame;
  }
}
