package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeFixed64;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Writes OTLP {@code AnyValue} messages (with {@code ArrayValue} and {@code KeyValueList} inside
 * them) for attribute values and {@link Value}s, each preceded by its length, in one pass: scalars
 * know their length up front, arrays and lists reserve their length prefix and patch it.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class AnyValueWriter {
  private static final byte TAG_STRING = 0x0A; // AnyValue.string_value = 1
  private static final byte TAG_BOOL = 0x10; // AnyValue.bool_value = 2
  private static final byte TAG_INT = 0x18; // AnyValue.int_value = 3
  private static final byte TAG_DOUBLE = 0x21; // AnyValue.double_value = 4
  private static final byte TAG_ARRAY = 0x2A; // AnyValue.array_value = 5
  private static final byte TAG_KVLIST = 0x32; // AnyValue.kvlist_value = 6
  private static final byte TAG_BYTES = 0x3A; // AnyValue.bytes_value = 7
  private static final byte TAG_ELEMENT = 0x0A; // ArrayValue.values = 1, KeyValueList.values = 1
  private static final byte TAG_KEY = 0x0A; // KeyValue.key = 1
  private static final byte TAG_VALUE = 0x12; // KeyValue.value = 2

  private final EncodeBuffer out;

  public AnyValueWriter(EncodeBuffer out) {
    this.out = out;
  }

  /** Length of a length-prefixed string AnyValue body for a string of {@code length} bytes. */
  static int stringValueLength(int length) {
    return 1 + varintSize(length) + length;
  }

  /**
   * Writes the length and body of the AnyValue for an attribute value of {@code type}; returns the
   * position after it.
   */
  public int writeAttributeValue(int pos, AttributeType type, Object value) {
    switch (type) {
      case STRING:
        return writeString(pos, (String) value);
      case BOOLEAN:
        return writeBoolean(pos, (Boolean) value);
      case LONG:
        return writeLong(pos, (Long) value);
      case DOUBLE:
        return writeDouble(pos, (Double) value);
      case STRING_ARRAY:
      case BOOLEAN_ARRAY:
      case LONG_ARRAY:
      case DOUBLE_ARRAY:
        return writeScalarArray(pos, type, (List<?>) value);
      case VALUE:
        return writeValue(pos, (Value<?>) value);
    }
    throw new IllegalArgumentException("unsupported attribute type: " + type);
  }

  private int writeString(int pos, String s) {
    int encoded = Utf8.encodedLength(s);
    int length = Utf8.byteLength(encoded);
    byte[] b = out.ensure(pos, 12L + length);
    pos = writeVarint(b, pos, stringValueLength(length));
    b[pos++] = TAG_STRING;
    pos = writeVarint(b, pos, length);
    return Utf8.write(b, pos, s, encoded);
  }

  private int writeBoolean(int pos, boolean value) {
    byte[] b = out.ensure(pos, 3);
    b[pos] = 2;
    b[pos + 1] = TAG_BOOL;
    b[pos + 2] = (byte) (value ? 1 : 0);
    return pos + 3;
  }

  private int writeLong(int pos, long value) {
    byte[] b = out.ensure(pos, 12);
    b[pos++] = (byte) (1 + varintSize(value));
    b[pos++] = TAG_INT;
    return writeVarint(b, pos, value);
  }

  private int writeDouble(int pos, double value) {
    byte[] b = out.ensure(pos, 10);
    b[pos] = 9;
    b[pos + 1] = TAG_DOUBLE;
    return writeFixed64(b, pos + 2, Double.doubleToRawLongBits(value));
  }

  /** A guess at the width of a list's length prefix, so that it rarely has to move. */
  private static int reserveFor(int elements) {
    return elements < 16 ? 1 : elements < 2048 ? 2 : 3;
  }

  private int writeScalarArray(int pos, AttributeType type, List<?> list) {
    int n = list.size();
    int reserve = reserveFor(n);
    byte[] b = out.ensure(pos, 2L * reserve + 1);
    int anyStart = pos + reserve;
    b[anyStart] = TAG_ARRAY;
    int arrayStart = anyStart + 1 + reserve;
    int p = arrayStart;
    for (int i = 0; i < n; i++) {
      Object element = list.get(i);
      b = out.ensure(p, 1);
      b[p++] = TAG_ELEMENT;
      switch (type) {
        case STRING_ARRAY:
          p = writeString(p, (String) element);
          break;
        case BOOLEAN_ARRAY:
          p = writeBoolean(p, (Boolean) element);
          break;
        case LONG_ARRAY:
          p = writeLong(p, (Long) element);
          break;
        default:
          p = writeDouble(p, (Double) element);
          break;
      }
    }
    p = out.endMessage(arrayStart, reserve, p);
    return out.endMessage(anyStart, reserve, p);
  }

  /** Writes the length and body of the AnyValue for {@code value}; returns the end. */
  @SuppressWarnings("unchecked")
  public int writeValue(int pos, Value<?> value) {
    switch (value.getType()) {
      case STRING:
        return writeString(pos, (String) value.getValue());
      case BOOLEAN:
        return writeBoolean(pos, (Boolean) value.getValue());
      case LONG:
        return writeLong(pos, (Long) value.getValue());
      case DOUBLE:
        return writeDouble(pos, (Double) value.getValue());
      case ARRAY:
        {
          List<Value<?>> list = (List<Value<?>>) value.getValue();
          int n = list.size();
          int reserve = reserveFor(n);
          byte[] b = out.ensure(pos, 2L * reserve + 1);
          int anyStart = pos + reserve;
          b[anyStart] = TAG_ARRAY;
          int arrayStart = anyStart + 1 + reserve;
          int p = arrayStart;
          for (int i = 0; i < n; i++) {
            b = out.ensure(p, 1);
            b[p++] = TAG_ELEMENT;
            p = writeValue(p, list.get(i));
          }
          p = out.endMessage(arrayStart, reserve, p);
          return out.endMessage(anyStart, reserve, p);
        }
      case KEY_VALUE_LIST:
        {
          List<KeyValue> list = (List<KeyValue>) value.getValue();
          int n = list.size();
          int reserve = reserveFor(n);
          byte[] b = out.ensure(pos, 2L * reserve + 1);
          int anyStart = pos + reserve;
          b[anyStart] = TAG_KVLIST;
          int listStart = anyStart + 1 + reserve;
          int p = listStart;
          for (int i = 0; i < n; i++) {
            KeyValue kv = list.get(i);
            b = out.ensure(p, 2);
            b[p] = TAG_ELEMENT;
            int kvStart = p + 2;
            p = kvStart;
            if (!kv.getKey().isEmpty()) {
              p = out.writeStringField(p, TAG_KEY, kv.getKey());
            }
            b = out.ensure(p, 1);
            b[p++] = TAG_VALUE;
            p = writeValue(p, kv.getValue());
            p = out.endMessage(kvStart, 1, p);
          }
          p = out.endMessage(listStart, reserve, p);
          return out.endMessage(anyStart, reserve, p);
        }
      case BYTES:
        {
          ByteBuffer bytes = (ByteBuffer) value.getValue();
          int length = bytes.remaining();
          byte[] b = out.ensure(pos, 11L + length);
          pos = writeVarint(b, pos, 1 + varintSize(length) + length);
          b[pos++] = TAG_BYTES;
          pos = writeVarint(b, pos, length);
          bytes.get(bytes.position(), b, pos, length);
          return pos + length;
        }
      case EMPTY:
        {
          byte[] b = out.ensure(pos, 1);
          b[pos] = 0;
          return pos + 1;
        }
    }
    throw new IllegalArgumentException("unsupported value type: " + value.getType());
  }
}
