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

  private final byte[] ascii = new byte[64];
  private boolean parentCopied;

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
   * Writes the trace id field ({@code traceIdTag}, length 16, the bytes of {@code traceId}) and the
   * span id field ({@code spanIdTag}, length 8, the bytes of {@code spanId}) at {@code pos} of
   * {@code dst}, which has room for 28 bytes; returns the position after them. Also copies out
   * {@code parentSpanId} (null: none) for a {@link #writeParentSpanId} that follows.
   *
   * <p>All the ids of a span are copied out of their strings before any is decoded: reading a copy
   * straight after it was made can wait on the copy's wide stores reaching the cache, as the loads
   * may not take their bytes from those stores directly.
   */
  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): an intrinsic copy of ASCII
  public int writeTraceAndSpanId(
      byte[] dst,
      int pos,
      byte traceIdTag,
      String traceId,
      byte spanIdTag,
      String spanId,
      String parentSpanId) {
    parentCopied = parentSpanId != null && parentSpanId.length() == 16;
    if (parentCopied) {
      parentSpanId.getBytes(0, 16, ascii, 48);
    }
    if (traceId.length() != 32 || spanId.length() != 16) {
      dst[pos] = traceIdTag;
      dst[pos + 1] = 16;
      int p = write(dst, pos + 2, traceId, 16);
      dst[p] = spanIdTag;
      dst[p + 1] = 8;
      return write(dst, p + 2, spanId, 8);
    }
    byte[] a = ascii;
    traceId.getBytes(0, 32, a, 0);
    spanId.getBytes(0, 16, a, 32);
    dst[pos] = traceIdTag;
    dst[pos + 1] = 16;
    writeFixed64(dst, pos + 2, decode16(readFixed64(a, 0), readFixed64(a, 8)));
    writeFixed64(dst, pos + 10, decode16(readFixed64(a, 16), readFixed64(a, 24)));
    dst[pos + 18] = spanIdTag;
    dst[pos + 19] = 8;
    writeFixed64(dst, pos + 20, decode16(readFixed64(a, 32), readFixed64(a, 40)));
    return pos + 28;
  }

  /**
   * Writes the 8 bytes of {@code parentSpanId}, the parent id given to the {@link
   * #writeTraceAndSpanId} just before, at {@code pos} of {@code dst}; returns the position after
   * them.
   */
  public int writeParentSpanId(byte[] dst, int pos, String parentSpanId) {
    if (!parentCopied) {
      return write(dst, pos, parentSpanId, 8);
    }
    byte[] a = ascii;
    writeFixed64(dst, pos, decode16(readFixed64(a, 48), readFixed64(a, 56)));
    return pos + 8;
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
