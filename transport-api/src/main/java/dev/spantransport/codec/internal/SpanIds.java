package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.readFixed64;
import static dev.spantransport.codec.internal.ProtoWire.writeFixed64;

/**
 * Writes OpenTelemetry's hex trace and span ids as the raw bytes OTLP carries, sixteen hex digits
 * at a time, without the array {@code SpanContext.getTraceIdBytes()} allocates.
 *
 * <p>An id longer than expected is read digit pair by digit pair up to the expected length, like
 * OpenTelemetry's own decoder reads it; a shorter one is rejected.
 *
 * <p>Not thread-safe (a scratch array); one per encoder. This class is internal and may change at
 * any time.
 */
public final class SpanIds {
  private static final byte[] HEX = new byte[128];

  static {
    for (int i = 0; i < 10; i++) {
      HEX['0' + i] = (byte) i;
    }
    for (int i = 0; i < 6; i++) {
      HEX['a' + i] = (byte) (10 + i);
      HEX['A' + i] = (byte) (10 + i);
    }
  }

  private final byte[] ascii = new byte[32];

  /**
   * Writes the {@code bytes} bytes that the hex string {@code hex} stands for at {@code pos} of
   * {@code dst}, which has room; returns the position after them.
   */
  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): an intrinsic copy of ASCII
  public int write(byte[] dst, int pos, String hex, int bytes) {
    int digits = 2 * bytes;
    if (hex.length() != digits) {
      return writeSlowly(dst, pos, hex, bytes);
    }
    byte[] a = ascii;
    hex.getBytes(0, digits, a, 0);
    for (int i = 0; i < digits; i += 16) {
      writeFixed64(dst, pos + (i >> 1), decode16(readFixed64(a, i), readFixed64(a, i + 8)));
    }
    return pos + bytes;
  }

  /**
   * Decodes eight hex digits (ASCII, first digit in the lowest byte) into four bytes (first byte
   * lowest), agreeing with the {@code HEX} table for every valid digit: a digit's value is its low
   * nibble, plus 9 for letters (bit 6 set).
   */
  static int decode8(long ascii) {
    long nibbles = (ascii & 0x0F0F0F0F0F0F0F0FL) + ((ascii >>> 6) & 0x0101010101010101L) * 9;
    long pairs = ((nibbles << 4) | (nibbles >>> 8)) & 0x00FF00FF00FF00FFL;
    pairs = (pairs | (pairs >>> 8)) & 0x0000FFFF0000FFFFL;
    return (int) (pairs | (pairs >>> 16));
  }

  /**
   * Decodes sixteen hex digits, {@code low} holding the first eight and {@code high} the next eight
   * (as {@link #decode8}), into eight bytes (first byte lowest).
   */
  static long decode16(long low, long high) {
    return (decode8(low) & 0xFFFFFFFFL) | ((long) decode8(high) << 32);
  }

  private static int writeSlowly(byte[] dst, int pos, String hex, int bytes) {
    if (hex.length() < 2 * bytes) {
      throw new IllegalArgumentException(
          "id must have " + 2 * bytes + " hex digits: \"" + hex + "\"");
    }
    byte[] table = HEX;
    for (int i = 0; i < bytes; i++) {
      int hi = table[hex.charAt(2 * i) & 0x7F];
      int lo = table[hex.charAt(2 * i + 1) & 0x7F];
      dst[pos + i] = (byte) ((hi << 4) | lo);
    }
    return pos + bytes;
  }
}
