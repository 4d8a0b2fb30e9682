package dev.spantransport.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Every fact about the span-transport frame layout, in one place: magic, versions, header field
 * offsets, byte order and limits, plus static accessors that read a header field straight from a
 * {@code byte[]}.
 *
 * <pre>
 *  0      2      3      4              8                              16
 *  +------+------+------+--------------+------------------------------+
 *  |magic |vers. | type | length (u32) |  sequence (u64)              |  payload (length bytes) ...
 *  +------+------+------+--------------+------------------------------+
 *
 *  magic    u16  0x5354 ("ST"); a stream's first byte is 0x53, never 0
 *  version  u8   protocol version of this frame, 1
 *  type     u8   a {@link FrameType} value
 *  length   u32  number of payload bytes that follow the header (the header is not counted)
 *  sequence u64  meaning depends on the type (batch sequence, cumulative ack, nonce, ...)
 * </pre>
 *
 * <p>All multi-byte fields are {@linkplain #BYTE_ORDER big-endian}. No other class writes a literal
 * header offset; they all use the {@code *_OFFSET} constants or the accessors here.
 */
public final class FrameDescriptor {

  /** Magic number in the first two bytes of every frame: {@code 0x5354}, ASCII "ST". */
  public static final int MAGIC = 0x5354;

  /** Protocol version 1. */
  public static final int VERSION_1 = 1;

  /** The protocol version this library speaks. */
  public static final int CURRENT_VERSION = VERSION_1;

  /** Lowest protocol version this library speaks. */
  public static final int MIN_SUPPORTED_VERSION = VERSION_1;

  /** Highest protocol version this library speaks. */
  public static final int MAX_SUPPORTED_VERSION = VERSION_1;

  /** Length of the fixed frame header in bytes. */
  public static final int HEADER_LENGTH = 16;

  /** Offset of the u16 magic. */
  public static final int MAGIC_OFFSET = 0;

  /** Offset of the u8 version. */
  public static final int VERSION_OFFSET = 2;

  /** Offset of the u8 frame type. */
  public static final int TYPE_OFFSET = 3;

  /** Offset of the u32 payload length. */
  public static final int LENGTH_OFFSET = 4;

  /** Offset of the u64 sequence. */
  public static final int SEQUENCE_OFFSET = 8;

  /** Byte order of every multi-byte field in headers and fixed payload fields. */
  public static final ByteOrder BYTE_ORDER = ByteOrder.BIG_ENDIAN;

  /** Default limit on a frame's payload length: 8 MiB. */
  public static final int DEFAULT_MAX_FRAME_LENGTH = 8 * 1024 * 1024;

  /** Hard cap on a frame's payload length that no configuration may exceed: 64 MiB. */
  public static final int MAX_FRAME_LENGTH = 64 * 1024 * 1024;

  /** Default limit on the number of spans in one SPANS frame: 65,536. */
  public static final int DEFAULT_MAX_SPANS_PER_FRAME = 65_536;

  /** Largest value of a u16 field. */
  public static final int MAX_U16 = 0xFFFF;

  /** Largest value of a u32 field. */
  public static final long MAX_U32 = 0xFFFF_FFFFL;

  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private FrameDescriptor() {}

  /** Returns the magic of the frame whose header starts at {@code offset}, as an unsigned int. */
  public static int magic(byte[] buffer, int offset) {
    return getU16(buffer, offset + MAGIC_OFFSET);
  }

  /** Returns the version of the frame whose header starts at {@code offset}, 0 to 255. */
  public static int version(byte[] buffer, int offset) {
    return buffer[offset + VERSION_OFFSET] & 0xFF;
  }

  /** Returns the type of the frame whose header starts at {@code offset}, 0 to 255. */
  public static int type(byte[] buffer, int offset) {
    return buffer[offset + TYPE_OFFSET] & 0xFF;
  }

  /**
   * Returns the payload length of the frame whose header starts at {@code offset}, as an unsigned
   * 32-bit value.
   */
  public static long length(byte[] buffer, int offset) {
    return getU32(buffer, offset + LENGTH_OFFSET);
  }

  /** Returns the sequence of the frame whose header starts at {@code offset}. */
  public static long sequence(byte[] buffer, int offset) {
    return getU64(buffer, offset + SEQUENCE_OFFSET);
  }

  /** Reads a big-endian u16 at {@code index}. */
  public static int getU16(byte[] buffer, int index) {
    return ((short) SHORT.get(buffer, index)) & 0xFFFF;
  }

  /** Reads a big-endian u32 at {@code index}. */
  public static long getU32(byte[] buffer, int index) {
    return ((int) INT.get(buffer, index)) & 0xFFFF_FFFFL;
  }

  /** Reads a big-endian 64-bit value at {@code index}. */
  public static long getU64(byte[] buffer, int index) {
    return (long) LONG.get(buffer, index);
  }

  /** Writes the low 16 bits of {@code value} big-endian at {@code index}. */
  public static void putU16(byte[] buffer, int index, int value) {
    SHORT.set(buffer, index, (short) value);
  }

  /** Writes the low 32 bits of {@code value} big-endian at {@code index}. */
  public static void putU32(byte[] buffer, int index, long value) {
    INT.set(buffer, index, (int) value);
  }

  /** Writes {@code value} big-endian at {@code index}. */
  public static void putU64(byte[] buffer, int index, long value) {
    LONG.set(buffer, index, value);
  }
}
