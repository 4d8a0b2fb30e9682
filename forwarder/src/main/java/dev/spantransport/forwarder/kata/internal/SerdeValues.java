package dev.spantransport.forwarder.kata.internal;

import static dev.spantransport.forwarder.kata.internal.SerdeJson.expectObject;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.missing;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.nextField;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.quote;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readBoolean;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readF64;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readI64;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readString;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.shape;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.spantransport.forwarder.kata.KataFrameException;
import dev.spantransport.forwarder.kata.internal.SerdeJson.ItemReader;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reads the serde_json form of opentelemetry-rust's {@code Key}, {@code Value}, {@code Array} and
 * {@code KeyValue} ({@code src/common.rs}) into OpenTelemetry Java attributes: a Value externally
 * tagged ({@code {"I64": 3}}) or, tolerated, untagged (a bare JSON value).
 *
 * <p>This class is internal and may change without notice.
 */
final class SerdeValues {

  private SerdeValues() {}

  // ---- Key, Value, Array, KeyValue (src/common.rs) ----------------------------------------------

  /** {key: Value, ...}: a HashMap or BTreeMap keyed by Key, a newtype over a string. */
  static void readValueMap(JsonParser p, String path, AttributesBuilder builder)
      throws IOException {
    readValueMap(p, path, builder, key -> true);
  }

  static void readValueMap(
      JsonParser p, String path, AttributesBuilder builder, Predicate<String> keep)
      throws IOException {
    expectObject(p, path, "an object of key: Value");
    while (nextField(p, path)) {
      String key = p.currentName();
      p.nextToken();
      Typed value = readValue(p, path + "." + key);
      if (keep.test(key)) {
        put(builder, key, value);
      }
    }
  }

  /** Vec&lt;KeyValue&gt;: [{"key": string, "value": Value}, ...]. */
  static Attributes readKeyValues(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, path, "an array of KeyValue objects {key, value}");
    }
    AttributesBuilder builder = Attributes.builder();
    int index = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String itemPath = path + "[" + index++ + "]";
      expectObject(p, itemPath, "a KeyValue object {key, value}");
      String key = null;
      Typed value = null;
      while (nextField(p, itemPath)) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "key":
            key = readString(p, itemPath + ".key");
            break;
          case "value":
            value = readValue(p, itemPath + ".value");
            break;
          default:
            p.skipChildren();
        }
      }
      if (key == null) {
        throw missing(itemPath + ".key");
      }
      if (value == null) {
        throw missing(itemPath + ".value");
      }
      put(builder, key, value);
    }
    return builder.build();
  }

  private enum Type {
    BOOL,
    I64,
    F64,
    STRING,
    BOOL_ARRAY,
    I64_ARRAY,
    F64_ARRAY,
    STRING_ARRAY
  }

  /** A decoded Value: its type and the Java value (Boolean, Long, Double, String or a List). */
  static final class Typed {
    final Type type;
    final Object value;

    Typed(Type type, Object value) {
      this.type = type;
      this.value = value;
    }
  }

  @SuppressWarnings("unchecked")
  static void put(AttributesBuilder builder, String key, Typed typed) {
    switch (typed.type) {
      case BOOL:
        builder.put(AttributeKey.booleanKey(key), (Boolean) typed.value);
        break;
      case I64:
        builder.put(AttributeKey.longKey(key), (Long) typed.value);
        break;
      case F64:
        builder.put(AttributeKey.doubleKey(key), (Double) typed.value);
        break;
      case STRING:
        builder.put(AttributeKey.stringKey(key), (String) typed.value);
        break;
      case BOOL_ARRAY:
        builder.put(AttributeKey.booleanArrayKey(key), (List<Boolean>) typed.value);
        break;
      case I64_ARRAY:
        builder.put(AttributeKey.longArrayKey(key), (List<Long>) typed.value);
        break;
      case F64_ARRAY:
        builder.put(AttributeKey.doubleArrayKey(key), (List<Double>) typed.value);
        break;
      case STRING_ARRAY:
        builder.put(AttributeKey.stringArrayKey(key), (List<String>) typed.value);
        break;
    }
  }

  /**
   * Value, externally tagged: {"Bool": true}, {"I64": 5}, {"F64": 1.5}, {"String": "s"}, {"Array":
   * {"I64": [1, 2]}}. Tolerated: an untagged bare boolean, number, string or array.
   */
  static Typed readValue(JsonParser p, String path) throws IOException {
    JsonToken token = p.currentToken();
    if (token != JsonToken.START_OBJECT) {
      return readUntaggedValue(p, path);
    }
    if (p.nextToken() != JsonToken.FIELD_NAME) {
      throw shape(p, path, "a Value with one variant (Bool, I64, F64, String or Array)");
    }
    String variant = p.currentName();
    String variantPath = path + "." + variant;
    p.nextToken();
    Typed typed;
    switch (variant) {
      case "Bool":
        typed = new Typed(Type.BOOL, readBoolean(p, variantPath));
        break;
      case "I64":
        typed = new Typed(Type.I64, readI64(p, variantPath));
        break;
      case "F64":
        typed = new Typed(Type.F64, readF64(p, variantPath));
        break;
      case "String":
        typed = new Typed(Type.STRING, readString(p, variantPath));
        break;
      case "Array":
        typed = readArray(p, variantPath);
        break;
      default:
        throw new KataFrameException(
            path + " must be a Value variant Bool, I64, F64, String or Array: " + quote(variant));
    }
    if (p.nextToken() != JsonToken.END_OBJECT) {
      throw shape(p, path, "a Value with exactly one variant");
    }
    return typed;
  }

  /** Reads the items of the JSON array the parser is on, up to its end. */
  static <T> List<T> readItems(JsonParser p, String path, ItemReader<T> reader) throws IOException {
    List<T> items = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      items.add(reader.read(p, path + "[" + items.size() + "]"));
    }
    return items;
  }

  /** Array, externally tagged: {"Bool": [..]}, {"I64": [..]}, {"F64": [..]}, {"String": [..]}. */
  static Typed readArray(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      return readUntaggedArray(p, path);
    }
    if (p.nextToken() != JsonToken.FIELD_NAME) {
      throw shape(p, path, "an Array with one variant (Bool, I64, F64 or String)");
    }
    String variant = p.currentName();
    String variantPath = path + "." + variant;
    p.nextToken();
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, variantPath, "an array");
    }
    Typed typed;
    switch (variant) {
      case "Bool":
        typed = new Typed(Type.BOOL_ARRAY, readItems(p, variantPath, SerdeJson::readBoolean));
        break;
      case "I64":
        typed = new Typed(Type.I64_ARRAY, readItems(p, variantPath, SerdeJson::readI64));
        break;
      case "F64":
        typed = new Typed(Type.F64_ARRAY, readItems(p, variantPath, SerdeJson::readF64));
        break;
      case "String":
        typed = new Typed(Type.STRING_ARRAY, readItems(p, variantPath, SerdeJson::readString));
        break;
      default:
        throw new KataFrameException(
            path + " must be an Array variant Bool, I64, F64 or String: " + quote(variant));
    }
    if (p.nextToken() != JsonToken.END_OBJECT) {
      throw shape(p, path, "an Array with exactly one variant");
    }
    return typed;
  }

  static Typed readUntaggedValue(JsonParser p, String path) throws IOException {
    switch (p.currentToken()) {
      case VALUE_TRUE:
      case VALUE_FALSE:
        return new Typed(Type.BOOL, p.getBooleanValue());
      case VALUE_NUMBER_INT:
        return new Typed(Type.I64, readI64(p, path));
      case VALUE_NUMBER_FLOAT:
        return new Typed(Type.F64, p.getDoubleValue());
      case VALUE_STRING:
        return new Typed(Type.STRING, p.getText());
      case START_ARRAY:
        return readUntaggedArray(p, path);
      default:
        throw shape(p, path, "a Value ({\"Bool\"|\"I64\"|\"F64\"|\"String\"|\"Array\": ...})");
    }
  }

  /** An untagged homogeneous array; its type is that of its first element (empty: strings). */
  static Typed readUntaggedArray(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, path, "an Array ({\"Bool\"|\"I64\"|\"F64\"|\"String\": [...]})");
    }
    List<Object> list = new ArrayList<>();
    Type type = null;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String itemPath = path + "[" + list.size() + "]";
      Typed item = readUntaggedValue(p, itemPath);
      if (item.type.compareTo(Type.STRING) > 0) {
        throw new KataFrameException(itemPath + " must be a scalar: an array");
      }
      if (type == null) {
        type = item.type;
      } else if (type == Type.F64 && item.type == Type.I64) {
        item = new Typed(Type.F64, ((Long) item.value).doubleValue());
      } else if (item.type != type) {
        throw new KataFrameException(
            itemPath + " must have the array's element type " + type + ": " + item.type);
      }
      list.add(item.value);
    }
    Type arrayType =
        type == null
            ? Type.STRING_ARRAY
            : Type.values()[type.ordinal() + Type.BOOL_ARRAY.ordinal()];
    return new Typed(arrayType, list);
  }
}
