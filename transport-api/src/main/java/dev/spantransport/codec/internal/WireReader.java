package dev.spantransport.codec.internal;

import dev.spantransport.codec.MalformedPayloadException;

/**
 * A bounds-checked cursor over protobuf bytes. Every length is checked against the bytes left in
 * the enclosing message before it is used, so nothing is read or allocated from an unchecked
 * length. Offsets in error messages are relative to {@code base}, the start of the payload.
 *
 * <p>This class is internal and may change at any time.
 */
public final class WireReader {
  private final byte[] buf;
  private final int base;
  private int pos;

  /** Creates a reader over {@code buf} positioned at {@code base}. */
  public WireReader(byte[] buf, int base) {
    this.buf = buf;
    this.base = base;
    this.pos = base;
  }

  /** The underlying array. */
  public byte[] buffer() {
    return buf;
  }

  /** Current absolute position in {@link #buffer()}. */
  public int pos() {
    return pos;
  }

  /** Moves to the absolute position {@code pos}. */
  public void pos(int pos) {
    this.pos = pos;
  }

  /** Offset of {@code absolute} from the start of the payload. */
  public int offset(int absolute) {
    return absolute - base;
  }

  /** Throws a {@link MalformedPayloadException} for {@code message} at the current position. */
  public MalformedPayloadException malformed(String message) {
    return new MalformedPayloadException(message, pos - base);
  }

  /** Reads a field tag; rejects field number 0. */
  public int readTag(int end, String message) throws MalformedPayloadException {
    int p = pos;
    if (p < end) {
      int b = buf[p];
      if (b >= 8) { // a one-byte tag with a field number above 0
        pos = p + 1;
        return b;
      }
    }
    int start = pos;
    long tag = readVarint(end, message);
    if (tag > 0xFFFFFFFFL || (tag >>> 3) == 0) {
      pos = start;
      throw malformed("invalid field tag " + tag + " in " + message);
    }
    return (int) tag;
  }

  /** Reads a varint of at most 10 bytes that must end before {@code end}. */
  public long readVarint(int end, String field) throws MalformedPayloadException {
    if (pos < end && buf[pos] >= 0) {
      return buf[pos++];
    }
    int start = pos;
    long result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos >= end) {
        pos = start;
        throw malformed("truncated varint in " + field);
      }
      byte b = buf[pos++];
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return result;
      }
    }
    pos = start;
    throw malformed("varint longer than 10 bytes in " + field);
  }

  /** Reads the length of a length-delimited field and checks it against the bytes left. */
  public int readLength(int end, String field) throws MalformedPayloadException {
    int p = pos;
    if (p < end) {
      int b = buf[p];
      if (b >= 0 && b < end - p) { // a one-byte length that fits
        pos = p + 1;
        return b;
      }
    }
    int start = pos;
    long length = readVarint(end, field);
    if (length < 0 || length > end - pos) {
      int left = end - pos;
      pos = start;
      throw malformed(
          "length "
              + (length < 0 ? Long.toUnsignedString(length) : Long.toString(length))
              + " of "
              + field
              + " exceeds the "
              + left
              + " bytes left");
    }
    return (int) length;
  }

  /** Reads 8 little-endian bytes. */
  public long readFixed64(int end, String field) throws MalformedPayloadException {
    if (end - pos < 8) {
      throw malformed("truncated fixed64 " + field);
    }
    long v = ProtoWire.readFixed64(buf, pos);
    pos += 8;
    return v;
  }

  /** Reads 4 little-endian bytes. */
  public int readFixed32(int end, String field) throws MalformedPayloadException {
    if (end - pos < 4) {
      throw malformed("truncated fixed32 " + field);
    }
    int v = ProtoWire.readFixed32(buf, pos);
    pos += 4;
    return v;
  }

  /**
   * Skips a field's value by its wire type. Groups (wire types 3 and 4, deprecated and never used
   * by OTLP) are rejected.
   */
  public void skip(int tag, int end, String message) throws MalformedPayloadException {
    // The fast paths build no message; a failure is re-read through the checked reads, which
    // throw with the field named.
    int wireType = tag & 7;
    switch (wireType) {
      case ProtoWire.WIRETYPE_VARINT:
        {
          int p = pos;
          int limit = Math.min(end, p + 10);
          while (p < limit) {
            if (buf[p++] >= 0) {
              pos = p;
              return;
            }
          }
          readVarint(end, message + " field " + (tag >>> 3));
          return;
        }
      case ProtoWire.WIRETYPE_FIXED64:
        if (end - pos >= 8) {
          pos += 8;
        } else {
          readFixed64(end, message + " field " + (tag >>> 3));
        }
        return;
      case ProtoWire.WIRETYPE_LENGTH_DELIMITED:
        {
          int p = pos;
          long result = 0;
          for (int shift = 0; shift < 70 && p < end; shift += 7) {
            byte b = buf[p++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
              if (result >= 0 && result <= end - p) {
                pos = p + (int) result;
                return;
              }
              break;
            }
          }
          pos += readLength(end, message + " field " + (tag >>> 3));
          return;
        }
      case ProtoWire.WIRETYPE_FIXED32:
        if (end - pos >= 4) {
          pos += 4;
        } else {
          readFixed32(end, message + " field " + (tag >>> 3));
        }
        return;
      default:
        throw malformed(
            "unsupported wire type " + wireType + " for field " + (tag >>> 3) + " in " + message);
    }
  }

  /** Checks that a known field has the wire type its schema gives it. */
  public void expect(int tag, int wireType, String field) throws MalformedPayloadException {
    if ((tag & 7) != wireType) {
      throw malformed(field + " must have wire type " + wireType + ": " + (tag & 7));
    }
  }
}
