package dev.spantransport.codec.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import java.nio.charset.StandardCharsets;

/**
 * Bounded caches that let a decoder hand out the same {@link String} and {@link AttributeKey} for
 * bytes it has seen before, instead of allocating new ones for every span.
 *
 * <p>Both are fixed-size, direct-mapped tables indexed by a hash of the UTF-8 bytes; a new entry
 * replaces whatever shared its slot, so they never grow. A hit is confirmed by comparing the cached
 * value with the bytes, never by the hash alone. Only ASCII strings can ever match (a string with
 * any other character, or with invalid UTF-8, is always decoded afresh), and strings longer than
 * {@link #MAX_CACHED_BYTES} bytes are not cached at all, so at most about {@code (STRING_SLOTS +
 * KEY_SLOTS) * MAX_CACHED_BYTES} bytes of payload text stay referenced.
 *
 * <p>Thread-safe without locks: slots hold immutable objects ({@code String}, OpenTelemetry's
 * attribute keys), which are safely published through their final fields; a racing reader sees
 * either an old entry, a new one or none, and verifies whichever it sees.
 *
 * <p>This class is internal and may change at any time.
 */
public final class DecodeCache {
  /** Longest string, in UTF-8 bytes, that is cached. */
  public static final int MAX_CACHED_BYTES = 64;

  private static final int STRING_SLOTS = 1024;
  private static final int KEY_SLOTS = 512;

  private final String[] strings = new String[STRING_SLOTS];
  private final AttributeKey<?>[] keys = new AttributeKey<?>[KEY_SLOTS];

  /** Returns the string of the UTF-8 bytes {@code buf[at, at + len)}, from the cache if there. */
  public String string(byte[] buf, int at, int len) {
    if (len == 0) {
      return "";
    }
    if (len > MAX_CACHED_BYTES) {
      return new String(buf, at, len, StandardCharsets.UTF_8);
    }
    int slot = hash(buf, at, len) & (STRING_SLOTS - 1);
    String cached = strings[slot];
    if (cached != null && matches(cached, buf, at, len)) {
      return cached;
    }
    String s = new String(buf, at, len, StandardCharsets.UTF_8);
    strings[slot] = s;
    return s;
  }

  /**
   * Returns the attribute key of {@code type} named by the UTF-8 bytes {@code buf[at, at + len)},
   * from the cache if there.
   */
  public AttributeKey<?> key(AttributeType type, byte[] buf, int at, int len) {
    if (len > MAX_CACHED_BYTES) {
      return newKey(type, new String(buf, at, len, StandardCharsets.UTF_8));
    }
    int slot = (hash(buf, at, len) * 31 + type.ordinal()) & (KEY_SLOTS - 1);
    AttributeKey<?> cached = keys[slot];
    if (cached != null && cached.getType() == type && matches(cached.getKey(), buf, at, len)) {
      return cached;
    }
    AttributeKey<?> key = newKey(type, string(buf, at, len));
    keys[slot] = key;
    return key;
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

  private static int hash(byte[] buf, int at, int len) {
    int h = len;
    for (int i = at, end = at + len; i < end; i++) {
      h = 31 * h + buf[i];
    }
    return h ^ (h >>> 16);
  }

  /** True if {@code s} is the ASCII string whose bytes are {@code buf[at, at + len)}. */
  private static boolean matches(String s, byte[] buf, int at, int len) {
    if (s.length() != len) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      // A negative (non-ASCII) byte never equals a char, so only ASCII strings match.
      if (s.charAt(i) != buf[at + i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "DecodeCache{strings=" + STRING_SLOTS + ", keys=" + KEY_SLOTS + "}";
  }
}
