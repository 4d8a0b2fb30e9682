package dev.spantransport.forwarder.kata.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.spantransport.forwarder.kata.KataFrameException;
import java.io.IOException;

/**
 * The JSON token helpers of the serde_json span reader: scalars as serde writes them (strings,
 * booleans, i64, f64, u64, u32) and the structure checks, each failing with a {@link
 * KataFrameException} that names the field path and the value seen.
 *
 * <p>This class is internal and may change without notice.
 */
final class SerdeJson {

  private SerdeJson() {}

  /** Reads one item of a JSON array or queue at {@code path}. */
  @FunctionalInterface
  interface ItemReader<T> {
    T read(JsonParser p, String path) throws IOException;
  }

  // ---- scalars ----------------------------------------------------------------------------------

  static String readString(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw shape(p, path, "a string");
    }
    return p.getText();
  }

  static String readOptionalString(JsonParser p, String path) throws IOException {
    return p.currentToken() == JsonToken.VALUE_NULL ? null : readString(p, path);
  }

  static boolean readBoolean(JsonParser p, String path) throws IOException {
    JsonToken token = p.currentToken();
    if (token == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (token == JsonToken.VALUE_FALSE) {
      return false;
    }
    throw shape(p, path, "a boolean");
  }

  static long readI64(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw shape(p, path, "a signed 64-bit integer");
    }
    JsonParser.NumberType type = p.getNumberType();
    if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
      throw new KataFrameException(path + " must be a signed 64-bit integer: " + p.getText());
    }
    return p.getLongValue();
  }

  /** f64; serde_json writes NaN and the infinities as null, read back as NaN. */
  static double readF64(JsonParser p, String path) throws IOException {
    switch (p.currentToken()) {
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_NULL:
        return Double.NaN;
      default:
        throw shape(p, path, "a number");
    }
  }

  /** u64 from its decimal digits: the full unsigned range, returned as the same 64 bits. */
  static long readU64(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw shape(p, path, "an unsigned 64-bit integer");
    }
    String digits = p.getText();
    if (digits.startsWith("-")) {
      throw new KataFrameException(path + " must be an unsigned 64-bit integer: " + digits);
    }
    try {
      return Long.parseUnsignedLong(digits);
    } catch (NumberFormatException e) {
      throw new KataFrameException(path + " must be an unsigned 64-bit integer: " + digits, e);
    }
  }

  static long readU32(JsonParser p, String path) throws IOException {
    long value = readU64(p, path);
    if (value < 0 || value > 0xFFFF_FFFFL) {
      throw new KataFrameException(
          path + " must be an unsigned 32-bit integer: " + Long.toUnsignedString(value));
    }
    return value;
  }

  // ---- structure helpers -----------------------------------------------------------------------

  /** Advances to the next field of the current object; false at its end. */
  static boolean nextField(JsonParser p, String path) throws IOException {
    JsonToken token = p.nextToken();
    if (token == JsonToken.END_OBJECT) {
      return false;
    }
    if (token != JsonToken.FIELD_NAME) {
      throw shape(p, path, "an object with named fields");
    }
    return true;
  }

  static void expectObject(JsonParser p, String path, String what) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw shape(p, path, what);
    }
  }

  static KataFrameException missing(String path) {
    return new KataFrameException(path + " must be present: missing");
  }

  static KataFrameException shape(JsonParser p, String path, String expected) throws IOException {
    return new KataFrameException(path + " must be " + expected + ": " + describe(p));
  }

  static String describe(JsonParser p) throws IOException {
    JsonToken token = p.currentToken();
    if (token == null) {
      return "end of input";
    }
    switch (token) {
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      case END_OBJECT:
        return "end of object";
      case END_ARRAY:
        return "end of array";
      case FIELD_NAME:
        return "field " + quote(p.currentName());
      case VALUE_STRING:
        return quote(p.getText());
      case VALUE_NULL:
        return "null";
      default:
        return p.getText();
    }
  }

  static String quote(String s) {
    String shown = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return '"' + shown + '"';
  }
}
