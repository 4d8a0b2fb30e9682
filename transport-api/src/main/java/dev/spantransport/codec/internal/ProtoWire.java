package dev.spantransport.codec.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Protobuf wire-format primitives over a plain {@code byte[]}: varints, fixed-width little-endian
 * integers, tag sizes. Every write method takes the position and returns the position after the
 * written bytes; bounds are the caller's job (the size pass guarantees them).
 *
 * <p>This class is internal and may change at any time.
 */
public final class ProtoWire {
  public static final int WIRETYPE_VARINT = 0;
  public static final int WIRETYPE_FIXED64 = 1;
  public static final int WIRETYPE_LENGTH_DELIMITED = 2;
  public static final int WIRETYPE_START_GROUP = 3;
  public static final int WIRETYPE_END_GROUP = 4;
  public static final int WIRETYPE_FIXED32 = 5;

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private ProtoWire() {}

  /** Returns the tag value for a field number and wire type. */
  public static int tag(int fieldNumber, int wireType) {
    return (fieldNumber << 3) | wireType;
  }

  /** Bytes taken by {@code value} written as an unsigned 32-bit varint. */
  public static int varintSize(int value) {
    if ((value & (~0 << 7)) == 0) {
      return 1;
    }
    if ((value & (~0 << 14)) == 0) {
      return 2;
    }
    if ((value & (~0 << 21)) == 0) {
      return 3;
    }
    if ((value & (~0 << 28)) == 0) {
      return 4;
    }
    return 5;
  }

  /** Bytes taken by {@code value} written as a 64-bit varint (negative values take 10). */
  public static int varintSize(long value) {
    if ((value & (~0L << 7)) == 0) {
      return 1;
    }
    if (value < 0) {
      return 10;
    }
    int n = 2;
    if ((value & (~0L << 35)) != 0) {
      n += 4;
      value >>>= 28;
    }
    if ((value & (~0L << 21)) != 0) {
      n += 2;
      value >>>= 14;
    }
    if ((value & (~0L << 14)) != 0) {
      n += 1;
    }
    return n;
  }

  /**
   * Bytes taken by a length-delimited field body of {@code length} bytes plus its length prefix.
   */
  public static int lengthDelimitedSize(int length) {
    return varintSize(length) + length;
  }

  /** Writes {@code value} as an unsigned 32-bit varint. */
  public static int writeVarint(byte[] dst, int pos, int value) {
    while ((value & ~0x7F) != 0) {
      dst[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    dst[pos++] = (byte) value;
    return pos;
  }

  /** Writes {@code value} as a 64-bit varint. */
  public static int writeVarint(byte[] dst, int pos, long value) {
    while ((value & ~0x7FL) != 0) {
      dst[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    dst[pos++] = (byte) value;
    return pos;
  }

  /** Writes {@code value} as 8 little-endian bytes. */
  public static int writeFixed64(byte[] dst, int pos, long value) {
    LONG_LE.set(dst, pos, value);
    return pos + 8;
  }

  /** Writes {@code value} as 4 little-endian bytes. */
  public static int writeFixed32(byte[] dst, int pos, int value) {
    INT_LE.set(dst, pos, value);
    return pos + 4;
  }

  /** Reads 8 little-endian bytes; the caller has checked the bounds. */
  public static long readFixed64(byte[] src, int pos) {
    return (long) LONG_LE.get(src, pos);
  }

  /** Reads 4 little-endian bytes; the caller has checked the bounds. */
  public static int readFixed32(byte[] src, int pos) {
    return (int) INT_LE.get(src, pos);
  }
}
