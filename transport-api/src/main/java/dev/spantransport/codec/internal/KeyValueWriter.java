package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeFixed64;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.internal.ImmutableKeyValuePairs;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * Writes {@link Attributes} as repeated OTLP {@code KeyValue} fields, each with the caller's
 * one-byte tag (the attributes field of a span, event, link, scope or resource).
 *
 * <p>Keys and repeating (key, value) pairs come from a {@link KeyValueCache}. Scalar values know
 * their length before they are written, so a {@code KeyValue} is written straight, with no size
 * pass; arrays and {@code Value}s reserve the length prefix and patch it.
 *
 * <p>The SDK's attributes keep their keys and values in one array, {@code [k0, v0, k1, v1, ...]},
 * which {@code ImmutableKeyValuePairs.getData()} returns without copying; walking it directly is
 * markedly cheaper than {@link Attributes#forEach} (an interface call per attribute). That method
 * belongs to OpenTelemetry's internal API, so it is used only when this OpenTelemetry version has
 * it, and any other {@link Attributes} goes through {@code forEach}.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class KeyValueWriter {
  private static final byte TAG_VALUE = 0x12; // KeyValue.value = 2
  private static final byte TAG_STRING = 0x0A; // AnyValue.string_value = 1
  private static final byte TAG_BOOL = 0x10; // AnyValue.bool_value = 2
  private static final byte TAG_INT = 0x18; // AnyValue.int_value = 3
  private static final byte TAG_DOUBLE = 0x21; // AnyValue.double_value = 4
  private static final byte TAG_KEY = 0x0A; // KeyValue.key = 1

  private static final boolean DIRECT_DATA = hasGetData();

  private final EncodeBuffer out;
  private final AnyValueWriter values;
  private final KeyValueCache cache;
  private final Visitor visitor = new Visitor();
  // The key entry last seen at each (tag, attribute position): spans of one kind carry the same
  // keys in the same order, so the guess nearly always holds and saves the hash lookup.
  private static final int GUESS_MASK = 63;
  private final int[] guesses = new int[GUESS_MASK + 1];
  private SpanGate gate; // null: no gate
  private boolean gateFailed;

  public KeyValueWriter(EncodeBuffer out, AnyValueWriter values, KeyValueCache cache) {
    this.out = out;
    this.values = values;
    this.cache = cache;
    Arrays.fill(guesses, -1);
  }

  private static boolean hasGetData() {
    try {
      return ImmutableKeyValuePairs.class.getMethod("getData").getReturnType() == Object[].class;
    } catch (NoSuchMethodException | LinkageError e) {
      return false;
    }
  }

  /**
   * Checks every key written from now on against {@code gate} (null: none), noting in {@link
   * #gateFailed()} whether one did not pass. The attributes are written either way.
   */
  public void gate(SpanGate gate) {
    this.gate = gate;
    this.gateFailed = false;
  }

  /** Whether a key written since {@link #gate} was set did not pass it. */
  public boolean gateFailed() {
    return gateFailed;
  }

  /** Writes every attribute as a KeyValue field tagged {@code tag}; returns the end. */
  public int writeAttributes(int pos, byte tag, Attributes attributes) {
    if (DIRECT_DATA && attributes instanceof ImmutableKeyValuePairs) {
      Object[] data = ((ImmutableKeyValuePairs<?, ?>) attributes).getData();
      int[] guess = guesses;
      for (int i = 0; i + 1 < data.length; i += 2) {
        AttributeKey<?> key = (AttributeKey<?>) data[i];
        String name = key.getKey();
        int g = (tag + i) & GUESS_MASK;
        int k = guess[g];
        if (!cache.holdsKey(k, name)) {
          k = cache.keyIndex(name);
          guess[g] = k;
        }
        pos = writeKeyValue(pos, tag, key, name, k, data[i + 1]);
      }
      return pos;
    }
    if (attributes.isEmpty()) {
      return pos;
    }
    Visitor v = visitor;
    v.pos = pos;
    v.tag = tag;
    attributes.forEach(v);
    return v.pos;
  }

  /** Writes one KeyValue field tagged {@code tag}; returns the end. */
  public int writeKeyValue(int pos, byte tag, AttributeKey<?> key, Object value) {
    String name = key.getKey();
    return writeKeyValue(pos, tag, key, name, cache.keyIndex(name), value);
  }

  /** Writes one KeyValue field, the key {@code name} being at cache entry {@code k} (or -1). */
  private int writeKeyValue(
      int pos, byte tag, AttributeKey<?> key, String name, int k, Object value) {
    AttributeType type = key.getType();
    SpanGate g = gate;
    if (g != null && !(k >= 0 ? cache.passes(k, g) : g.passes(name))) {
      gateFailed = true;
    }
    // Each type has its own small writer, so that the JIT inlines the common ones here.
    if (type == AttributeType.STRING || type == AttributeType.BOOLEAN) {
      if (k >= 0) {
        int slot = cache.findPair(k, value);
        if (slot >= 0) {
          byte[] b = out.ensure(pos, 1 + KeyValueCache.PAIR_BYTES + KeyValueCache.COPY_SLACK);
          b[pos] = tag;
          return cache.writePair(slot, b, pos + 1);
        }
      }
      int end =
          type == AttributeType.STRING
              ? writeString(pos, tag, name, k, (String) value)
              : writeBoolean(pos, tag, name, k, (Boolean) value);
      if (k >= 0) {
        cache.offer(k, value, out.array(), pos + 1, end);
      }
      return end;
    }
    if (type == AttributeType.LONG) {
      return writeLong(pos, tag, name, k, (Long) value);
    }
    if (type == AttributeType.DOUBLE) {
      return writeDouble(pos, tag, name, k, (Double) value);
    }
    return writeComplex(pos, tag, name, k, type, value);
  }

  private int writeString(int pos, byte tag, String name, int k, String s) {
    int encoded = Utf8.encodedLength(s);
    int length = Utf8.byteLength(encoded);
    int any = AnyValueWriter.stringValueLength(length);
    int body = keyFieldLength(name, k) + 1 + varintSize(any) + any;
    byte[] b = out.ensure(pos, 6L + KeyValueCache.COPY_SLACK + body);
    int p = writeHead(b, pos, tag, body, name, k);
    p = writeVarint(b, p, any);
    b[p++] = TAG_STRING;
    p = writeVarint(b, p, length);
    return Utf8.write(b, p, s, encoded);
  }

  private int writeBoolean(int pos, byte tag, String name, int k, boolean value) {
    int body = keyFieldLength(name, k) + 4;
    byte[] b = out.ensure(pos, 6L + KeyValueCache.COPY_SLACK + body);
    int p = writeHead(b, pos, tag, body, name, k);
    b[p] = 2;
    b[p + 1] = TAG_BOOL;
    b[p + 2] = (byte) (value ? 1 : 0);
    return p + 3;
  }

  private int writeLong(int pos, byte tag, String name, int k, long value) {
    int any = 1 + varintSize(value);
    int body = keyFieldLength(name, k) + 2 + any;
    byte[] b = out.ensure(pos, 6L + KeyValueCache.COPY_SLACK + body);
    int p = writeHead(b, pos, tag, body, name, k);
    b[p++] = (byte) any;
    b[p++] = TAG_INT;
    return writeVarint(b, p, value);
  }

  private int writeDouble(int pos, byte tag, String name, int k, double value) {
    int body = keyFieldLength(name, k) + 11;
    byte[] b = out.ensure(pos, 6L + KeyValueCache.COPY_SLACK + body);
    int p = writeHead(b, pos, tag, body, name, k);
    b[p] = 9;
    b[p + 1] = TAG_DOUBLE;
    return writeFixed64(b, p + 2, Double.doubleToRawLongBits(value));
  }

  /** Length of the key field for {@code name}, whose cache entry is {@code k} (or -1). */
  private int keyFieldLength(String name, int k) {
    if (k >= 0) {
      return cache.keyFieldLength(k);
    }
    if (name.isEmpty()) {
      return 0;
    }
    int length = Utf8.byteLength(Utf8.encodedLength(name));
    return 1 + varintSize(length) + length;
  }

  /** Writes tag, body length, key field and the value's tag; {@code b} has room for them. */
  private int writeHead(byte[] b, int pos, byte tag, int body, String name, int k) {
    b[pos++] = tag;
    pos = writeVarint(b, pos, body);
    if (k >= 0) {
      pos = cache.writeKeyField(k, b, pos);
    } else if (!name.isEmpty()) {
      int encoded = Utf8.encodedLength(name);
      b[pos++] = TAG_KEY;
      pos = writeVarint(b, pos, Utf8.byteLength(encoded));
      pos = Utf8.write(b, pos, name, encoded);
    }
    b[pos++] = TAG_VALUE;
    return pos;
  }

  private int writeComplex(
      int pos, byte tag, String name, int k, AttributeType type, Object value) {
    byte[] b = out.ensure(pos, 2 + KeyValueCache.KEY_FIELD_BYTES + KeyValueCache.COPY_SLACK + 1);
    b[pos] = tag;
    int start = pos + 2;
    int p = start;
    if (k >= 0) {
      p = cache.writeKeyField(k, b, p);
    } else if (!name.isEmpty()) {
      p = out.writeStringField(p, TAG_KEY, name);
      b = out.ensure(p, 1);
    }
    b[p++] = TAG_VALUE;
    p = values.writeAttributeValue(p, type, value);
    return out.endMessage(start, 1, p);
  }

  private final class Visitor implements BiConsumer<AttributeKey<?>, Object> {
    int pos;
    byte tag;

    @Override
    public void accept(AttributeKey<?> key, Object value) {
      pos = writeKeyValue(pos, tag, key, value);
    }
  }
}
