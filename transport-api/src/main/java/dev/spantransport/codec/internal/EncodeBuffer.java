package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import java.util.Arrays;

/**
 * The growable byte array an encoder writes spans into, in one pass: every writer asks {@link
 * #ensure} for room before it writes, and nested messages whose length is only known once their
 * body is written reserve the likely width of the length prefix, write the body, then {@link
 * #endMessage patch} the prefix (moving the body in the rare case the guess was wrong).
 *
 * <p>Writers take and return plain {@code int} positions; the array itself is read from {@link
 * #ensure} after each request for room, because growing replaces it.
 *
 * <p>This class is internal and may change at any time.
 */
public final class EncodeBuffer {
  /** The longest encoding an encoder accepts: the longest Java array, less a header's worth. */
  public static final int MAX_LENGTH = Integer.MAX_VALUE - 8;

  /** Number of {@link #trim} calls over which the largest use is remembered. */
  static final int TRIM_PERIOD = 64;

  private final int initialCapacity;
  private byte[] bytes;
  private int highWater;
  private int uses;

  /**
   * Creates a buffer of {@code initialCapacity} bytes; it grows as needed and shrinks back when a
   * long run of {@link #trim} calls shows that it is far larger than needed.
   */
  public EncodeBuffer(int initialCapacity) {
    this.initialCapacity = initialCapacity;
    bytes = new byte[initialCapacity];
  }

  /**
   * Records that one encoding used {@code used} bytes. Once every {@value #TRIM_PERIOD} calls, an
   * array more than four times the largest use of that period (and larger than the initial
   * capacity) is replaced by one of twice that use, so that one huge batch does not hold its memory
   * for the life of the encoder. Allocates only when it shrinks.
   */
  public void trim(int used) {
    if (used > highWater) {
      highWater = used;
    }
    if (++uses < TRIM_PERIOD) {
      return;
    }
    long target = Math.max(initialCapacity, 2L * highWater);
    if (bytes.length > 2 * target) {
      bytes = new byte[(int) target];
    }
    uses = 0;
    highWater = 0;
  }

  /** The current array; valid until the next {@link #ensure} that grows it. */
  public byte[] array() {
    return bytes;
  }

  /**
   * Returns the array, grown first if needed so that {@code needed} bytes fit from {@code pos}.
   *
   * @throws IllegalArgumentException if that would take the encoding past {@link #MAX_LENGTH}
   */
  public byte[] ensure(int pos, long needed) {
    byte[] b = bytes;
    if (b.length - pos >= needed) {
      return b;
    }
    return grow(pos, needed);
  }

  private byte[] grow(int pos, long needed) {
    long wanted = pos + needed;
    if (wanted > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "encoded batch must be at most " + MAX_LENGTH + " bytes: at least " + wanted);
    }
    long capacity = Math.min(MAX_LENGTH, Math.max(wanted, (long) bytes.length * 2));
    bytes = Arrays.copyOf(bytes, (int) capacity);
    return bytes;
  }

  /**
   * Completes a length-delimited body written from {@code start} to {@code end}, whose length
   * prefix was given {@code reserved} bytes just before {@code start}: writes the prefix in its
   * shortest form (what protobuf requires for byte-identical output), first moving the body when
   * the prefix needs another width. Returns the position after the body.
   */
  public int endMessage(int start, int reserved, int end) {
    int length = end - start;
    int width = varintSize(length);
    int lengthPos = start - reserved;
    byte[] b = bytes;
    if (width != reserved) {
      if (width > reserved) {
        b = ensure(end, width - reserved);
      }
      System.arraycopy(b, start, b, lengthPos + width, length);
    }
    if (width == 1) {
      b[lengthPos] = (byte) length;
    } else {
      writeVarint(b, lengthPos, length);
    }
    return lengthPos + width + length;
  }

  /**
   * Writes a string field: the one-byte {@code tag}, the UTF-8 length and the UTF-8 bytes (an
   * unpaired surrogate as {@code '?'}). Returns the position after it.
   */
  public int writeStringField(int pos, byte tag, String s) {
    int encoded = Utf8.encodedLength(s);
    int length = Utf8.byteLength(encoded);
    byte[] b = ensure(pos, 6L + length);
    b[pos++] = tag;
    pos = writeVarint(b, pos, length);
    return Utf8.write(b, pos, s, encoded);
  }

  /** Writes {@code s} as UTF-8 with no tag or length; returns the position after it. */
  public int writeUtf8(int pos, String s) {
    int encoded = Utf8.encodedLength(s);
    byte[] b = ensure(pos, Utf8.byteLength(encoded));
    return Utf8.write(b, pos, s, encoded);
  }

  /** Writes a varint field with a one-byte {@code tag}; returns the position after it. */
  public int writeVarintField(int pos, byte tag, int value) {
    byte[] b = ensure(pos, 11);
    b[pos++] = tag;
    return writeVarint(b, pos, value);
  }
}
