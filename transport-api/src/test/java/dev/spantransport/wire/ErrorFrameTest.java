package dev.spantransport.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ErrorFrameTest {

  @Test
  void errorFrameCarriesUnicodeMessage() throws MalformedFrameException {
    String message = "sink 😀 indisponible – réessayez";
    int length = FrameWriter.errorFrameLength(message);
    byte[] frame = new byte[length + 3];

    assertEquals(length, FrameWriter.writeError(frame, 3, 17, ErrorCode.INTERNAL, true, message));

    assertEquals(
        ErrorFrame.FIXED_LENGTH + message.getBytes(StandardCharsets.UTF_8).length,
        FrameDescriptor.length(frame, 3));
    assertEquals(17, FrameDescriptor.sequence(frame, 3));
    ErrorFrame error =
        ErrorFrame.decode(
            frame, 3 + FrameDescriptor.HEADER_LENGTH, length - FrameDescriptor.HEADER_LENGTH);
    assertEquals(ErrorCode.INTERNAL, error.code());
    assertTrue(error.fatal());
    assertEquals(message, error.message());
  }

  @Test
  void errorFrameEncodesUnpairedSurrogateLikeTheJdk() throws MalformedFrameException {
    String message = "a\uD800b";
    byte[] frame = new byte[FrameWriter.errorFrameLength(message)];
    FrameWriter.writeError(frame, 0, 0, ErrorCode.INTERNAL, false, message);

    ErrorFrame error = ErrorFrame.decode(frame, FrameDescriptor.HEADER_LENGTH, frame.length - 16);
    assertEquals(
        new String(message.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
        error.message());
  }

  @Test
  void errorFrameWithEmptyMessageDecodes() throws MalformedFrameException {
    byte[] frame = new byte[FrameWriter.errorFrameLength("")];
    FrameWriter.writeError(frame, 0, 0, ErrorCode.SINK_UNAVAILABLE, false, "");

    ErrorFrame error = ErrorFrame.decode(frame, FrameDescriptor.HEADER_LENGTH, 3);
    assertEquals(ErrorFrame.create(ErrorCode.SINK_UNAVAILABLE, false, ""), error);
    assertFalse(error.fatal());
  }

  @Test
  void rejectsTruncatedErrorFrame() {
    MalformedFrameException e =
        assertThrows(MalformedFrameException.class, () -> ErrorFrame.decode(new byte[2], 0, 2));
    assertEquals("ERROR payload must be at least 3 bytes: 2", e.getMessage());
  }

  @Test
  void writerRefusesDestinationTooSmallBeforeWritingAnything() {
    byte[] dst = new byte[FrameWriter.errorFrameLength("abc") - 1];
    IndexOutOfBoundsException e =
        assertThrows(
            IndexOutOfBoundsException.class,
            () -> FrameWriter.writeError(dst, 0, 0, ErrorCode.INTERNAL, true, "abc"));
    assertEquals(
        "frame of 22 bytes must fit in the destination of 21 bytes at offset: 0", e.getMessage());
    assertEquals(0, dst[0]);
  }

  @Test
  void namesCodesAndTypes() {
    assertEquals("SINK_UNAVAILABLE", ErrorCode.name(ErrorCode.SINK_UNAVAILABLE));
    assertEquals("UNKNOWN(42)", ErrorCode.name(42));
    assertEquals("GOAWAY", FrameType.name(FrameType.GOAWAY));
    assertEquals("UNKNOWN(0)", FrameType.name(0));
    assertFalse(ErrorCode.isFatalByDefault(ErrorCode.SINK_UNAVAILABLE));
    assertTrue(ErrorCode.isFatalByDefault(ErrorCode.UNSUPPORTED_VERSION));
  }

  @Test
  void headerIsWrittenAtDescriptorOffsets() {
    byte[] b = new byte[16];
    FrameWriter.writeHeader(b, 0, FrameType.SPANS, 0x0102030405060708L, 0x03020100);
    assertEquals(
        "53540103 03020100 01020304 05060708",
        String.format(
            "%08x %08x %08x %08x",
            FrameDescriptor.getU32(b, 0),
            FrameDescriptor.getU32(b, 4),
            FrameDescriptor.getU32(b, 8),
            FrameDescriptor.getU32(b, 12)));
  }
}
