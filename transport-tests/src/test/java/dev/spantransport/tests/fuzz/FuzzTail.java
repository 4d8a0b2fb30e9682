package dev.spantransport.tests.fuzz;

import java.io.ByteArrayOutputStream;

/**
 * Builds the control bytes a seed needs so that a fuzz test's {@code FuzzedDataProvider} reads the
 * intended values. The provider takes primitives from the end of the input (the last byte first, as
 * the most significant) and raw bytes from the front, so a seed is {@code body + tail}; values are
 * added here in the order the test consumes them.
 */
final class FuzzTail {
  private byte[] tail = new byte[0];

  /** The next {@code consumeInt(min, max)} returns {@code value}. */
  FuzzTail intInRange(int min, int max, int value) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "value must be between " + min + " and " + max + ": " + value);
    }
    long range = (long) max - min;
    long v = (long) value - min;
    int bytes = 0;
    while (bytes < 4 && (range >>> (8 * bytes)) > 0) {
      bytes++;
    }
    // Consumed from the end: the last byte is the most significant one.
    byte[] part = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      part[i] = (byte) (v >>> (8 * i));
    }
    prepend(part);
    return this;
  }

  /** The next {@code consumeBoolean()} returns {@code value}. */
  FuzzTail bool(boolean value) {
    prepend(new byte[] {(byte) (value ? 1 : 0)});
    return this;
  }

  /** Returns {@code body} followed by the tail. */
  byte[] appendTo(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + tail.length);
    out.writeBytes(body);
    out.writeBytes(tail);
    return out.toByteArray();
  }

  private void prepend(byte[] part) {
    byte[] joined = new byte[part.length + tail.length];
    System.arraycopy(part, 0, joined, 0, part.length);
    System.arraycopy(tail, 0, joined, part.length, tail.length);
    tail = joined;
  }
}
