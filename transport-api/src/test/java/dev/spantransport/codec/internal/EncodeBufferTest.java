package dev.spantransport.codec.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EncodeBufferTest {

  @Test
  void patchesALengthThatFitsTheReservedWidth() {
    EncodeBuffer buffer = new EncodeBuffer(16);
    byte[] b = buffer.ensure(0, 8);
    b[0] = 9;
    b[2] = 'a';
    b[3] = 'b';
    assertEquals(4, buffer.endMessage(2, 1, 4));
    assertArrayEquals(new byte[] {9, 2, 'a', 'b'}, Arrays.copyOf(buffer.array(), 4));
  }

  @Test
  void movesTheBodyBackWhenTheLengthNeedsFewerBytesThanReserved() {
    EncodeBuffer buffer = new EncodeBuffer(16);
    byte[] b = buffer.ensure(0, 8);
    b[0] = 9;
    b[4] = 'a';
    b[5] = 'b';
    assertEquals(4, buffer.endMessage(4, 3, 6));
    assertArrayEquals(new byte[] {9, 2, 'a', 'b'}, Arrays.copyOf(buffer.array(), 4));
  }

  @Test
  void movesTheBodyOnAndGrowsWhenTheLengthNeedsMoreBytesThanReserved() {
    EncodeBuffer buffer = new EncodeBuffer(131);
    byte[] b = buffer.ensure(0, 131);
    b[0] = 9;
    for (int i = 0; i < 129; i++) {
      b[2 + i] = (byte) i;
    }
    assertEquals(1 + 2 + 129, buffer.endMessage(2, 1, 131));
    byte[] out = buffer.array();
    assertEquals(9, out[0]);
    assertEquals((byte) 0x81, out[1]); // 129 as a varint: 0x81 0x01
    assertEquals(1, out[2]);
    for (int i = 0; i < 129; i++) {
      assertEquals((byte) i, out[3 + i], "byte " + i);
    }
  }

  @Test
  void refusesToGrowPastTheLongestEncoding() {
    EncodeBuffer buffer = new EncodeBuffer(16);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> buffer.ensure(8, EncodeBuffer.MAX_LENGTH));
    assertEquals(
        "encoded batch must be at most 2147483639 bytes: at least 2147483647", e.getMessage());
    assertEquals(16, buffer.array().length);
  }

  @Test
  void shrinksAfterAPeriodOfUsesFarSmallerThanItsSize() {
    EncodeBuffer buffer = new EncodeBuffer(1024);
    buffer.ensure(0, 1 << 20);
    buffer.trim(1 << 20);
    for (int i = 1; i < EncodeBuffer.TRIM_PERIOD; i++) {
      buffer.trim(100);
    }
    // The period held a 1 MiB use: nothing to give back yet.
    assertEquals(1 << 20, buffer.array().length);
    for (int i = 0; i < EncodeBuffer.TRIM_PERIOD - 1; i++) {
      buffer.trim(3000);
      assertEquals(1 << 20, buffer.array().length);
    }
    buffer.trim(100);
    assertEquals(6000, buffer.array().length);
    for (int i = 0; i < 10 * EncodeBuffer.TRIM_PERIOD; i++) {
      buffer.trim(2900);
    }
    // Within a factor of four of what is used: kept, so steady use never reallocates.
    assertEquals(6000, buffer.array().length);
  }
}
