package dev.spantransport.codec.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Bounded caches that let a decoder hand out the same {@link String} and {@link AttributeKey} for
 * bytes it has seen before, instead of allocating new ones for every span.
 *
 * <p>Both are fixed-size, direct-mapped tables indexed by a cheap hash of the UTF-8 bytes (their
 * length and up to three 8-byte words: the first, the middle and the last); a new entry replaces
 * whatever shared its slot, so they never grow. A string enters the string table only when it
 * misses twice in a row at its slot, so strings seen once do not evict repeated ones. Each entry
 * keeps a copy of the bytes it was decoded from, and a hit is confirmed by comparing those bytes
 * with the payload's, never by the hash alone. Equal bytes always decode to an equal string
 * (invalid UTF-8 is replaced the same way every time), so any string may be cached. Strings longer
 * than {@link #MAX_CACHED_BYTES} bytes are not cached at all, so at most about {@code 2 *
 * (STRING_SLOTS + KEY_SLOTS) * MAX_CACHED_BYTES} bytes stay referenced.
 *
 * <p>Thread-safe without locks: slots hold immutable entries (final fields only), which are safely
 * published; a racing reader sees either an old entry, a new one or none, and verifies whichever it
 * sees.
 *
 * <p>This class is internal and may change at any time.
 */
public final class DecodeCache {
  /** Longest string, in UTF-8 bytes, that is cached. */
  public static final int MAX_CACHED_BYTES = 64;

  private static final int STRING_SLOTS = 1024;
  private static final int KEY_SLOTS = 512;

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final StringEntry[] strings = new StringEntry[STRING_SLOTS];
  private final KeyEntry[] keys = new KeyEntry[KEY_SLOTS];
  // The hash of the last string that missed at each slot; races only cost an extra miss.
  private final int[] missed = new int[STRING_SLOTS];

  /** Returns the string of the UTF-8 bytes {@code buf[at, at + len)}, from the cache if there. */
  public String string(byte[] buf, int at, int len) {
    if (len == 0) {
      return "";
    }
    if (len > MAX_CACHED_BYTES) {
      return new String(buf, at, len, StandardCharsets.UTF_8);
    }
    return string(buf, at, len, hash(buf, at, len));
  }

  private String string(byte[] buf, int at, int len, int hash) {
    int slot = hash & (STRING_SLOTS - 1);
    StringEntry cached = strings[slot];
    if (cached != null && cached.matches(buf, at, len)) {
      return cached.string;
    }
    // Admit a string on its second miss in a row at this slot: a value that is never repeated (a
    // random id, a timestamp) then costs one String, not also a cache entry and a copy of its
    // bytes, and does not evict a string that is repeated.
    if (missed[slot] != hash) {
      missed[slot] = hash;
      return new String(buf, at, len, StandardCharsets.UTF_8);
    }
    StringEntry entry = new StringEntry(buf, at, len);
    strings[slot] = entry;
    return entry.string;
  }

  /**
   * Returns the attribute key of {@code type} named by the UTF-8 bytes {@code buf[at, at + len)},
   * from the cache if there.
   */
  public AttributeKey<?> key(AttributeType type, byte[] buf, int at, int len) {
    if (len > MAX_CACHED_BYTES) {
      return newKey(type, new String(buf, at, len, StandardCharsets.UTF_8));
    }
    int hash = hash(buf, at, len);
    int slot = (hash * 31 + type.ordinal()) & (KEY_SLOTS - 1);
    KeyEntry cached = keys[slot];
    if (cached != null && cached.type == type && cached.matches(buf, at, len)) {
      return cached.key;
    }
    String name = len == 0 ? "" : string(buf, at, len, hash);
    KeyEntry entry = new KeyEntry(buf, at, len, type, newKey(type, name));
    keys[slot] = entry;
    return entry.key;
  }

  private static AttributeKey<?> newKey(AttributeType type, String name) {
    switch (type) {
      case STRING:
        return AttributeKey.stringKey(name);
      case BOOLEAN:
        return AttributeKey.booleanKey(name);
      case LONG:
        return AttributeKey.longKey(name);
      case DOUBLE:
        return AttributeKey.doubleKey(name);
      case STRING_ARRAY:
        return AttributeKey.stringArrayKey(name);
      case BOOLEAN_ARRAY:
        return AttributeKey.booleanArrayKey(name);
      case LONG_ARRAY:
        return AttributeKey.longArrayKey(name);
      case DOUBLE_ARRAY:
        return AttributeKey.doubleArrayKey(name);
      default:
        return AttributeKey.valueKey(name);
    }
  }

  /**
   * A hash of the length and at most three 8-byte words; strings that differ only elsewhere share a
   * slot, which costs a miss, never a wrong answer.
   */
  static int hash(byte[] buf, int at, int len) {
    long h;
    if (len >= 8) {
      long first = (long) LONG_LE.get(buf, at);
      long last = (long) LONG_LE.get(buf, at + len - 8);
      h = first * 0x9E3779B97F4A7C15L + last * 0xC2B2AE3D27D4EB4FL;
      if (len > 16) {
        h += (long) LONG_LE.get(buf, at + (len >>> 1) - 4) * 0x165667B19E3779F9L;
      }
    } else if (buf.length - at >= 8) {
      // Read 8 bytes and keep the first len of them (little-endian: the low ones).
      h = ((long) LONG_LE.get(buf, at) & ((1L << (len << 3)) - 1)) * 0x9E3779B97F4A7C15L;
    } else {
      long v = 0;
      for (int i = len - 1; i >= 0; i--) {
        v = (v << 8) | (buf[at + i] & 0xFF);
      }
      h = v * 0x9E3779B97F4A7C15L;
    }
    h += len;
    h ^= h >>> 31;
    return (int) (h ^ (h >>> 32));
  }

  /** A cached string and the bytes it was decoded from. */
  private static final class StringEntry {
    final byte[] bytes;
    final String string;

    StringEntry(byte[] buf, int at, int len) {
      this.bytes = Arrays.copyOfRange(buf, at, at + len);
      this.string = new String(bytes, StandardCharsets.UTF_8);
    }

    boolean matches(byte[] buf, int at, int len) {
      return Arrays.equals(bytes, 0, bytes.length, buf, at, at + len);
    }
  }

  /** A cached attribute key and the bytes its name was decoded from. */
  private static final class KeyEntry {
    final byte[] bytes;
    final AttributeType type;
    final AttributeKey<?> key;

    KeyEntry(byte[] buf, int at, int len, AttributeType type, AttributeKey<?> key) {
      this.bytes = Arrays.copyOfRange(buf, at, at + len);
      this.type = type;
      this.key = key;
    }

    boolean matches(byte[] buf, int at, int len) {
      return Arrays.equals(bytes, 0, bytes.length, buf, at, at + len);
    }
  }

  @Override
  public String toString() {
    return "DecodeCache{strings=" + STRING_SLOTS + ", keys=" + KEY_SLOTS + "}";
  }
}
