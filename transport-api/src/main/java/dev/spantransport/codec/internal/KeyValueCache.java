package dev.spantransport.codec.internal;

/**
 * Encoded bytes of attribute keys, and of whole (key, value) pairs that keep coming back, so that
 * the encoder copies them instead of measuring and encoding them again.
 *
 * <p>Keys are nearly always a few string constants: each entry holds one key (by identity) and its
 * encoded {@code KeyValue.key} field. Many values are constants too ({@code "GET"}, a route
 * template, {@code Boolean.TRUE}): each key entry also remembers its last few values (by identity)
 * with the encoded body of the whole {@code KeyValue} message. A key whose values rarely repeat (an
 * URL, a user id) soon stops being offered new values, so high-cardinality attributes cost one miss
 * and no copying; it is offered one again now and then in case that changes.
 *
 * <p>Everything is allocated by the constructor, in fixed-size regions of a few arrays: a new key
 * or value simply replaces whatever sat in its place, never allocating. Lookups compare identities,
 * so a replaced entry is a miss, never a wrong answer; an immutable {@link String} or {@link
 * Boolean} always encodes the same way, and only those value types are cached.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class KeyValueCache {
  /** Bytes kept per key: tag, one length byte and up to 62 bytes of UTF-8. */
  static final int KEY_FIELD_BYTES = 64;

  /** Values remembered per key. */
  static final int VALUES_PER_KEY = 4;

  /** Bytes kept per (key, value) pair: one length byte and a body of up to 95 bytes. */
  static final int PAIR_BYTES = 96;

  private static final byte TAG_KEY = 0x0A;
  private static final int MAX_KEY_BYTES = KEY_FIELD_BYTES - 2;

  // Admission: after WARM_UP lookups a key keeps being offered values only while at least one
  // lookup in HIT_RATIO hits; every PROBE-th miss is offered anyway. Counts halve at DECAY.
  private static final int WARM_UP = 64;
  private static final int HIT_RATIO = 8;
  private static final int PROBE_MASK = 63;
  private static final int DECAY = 1024;

  private final String[] keys;
  private final byte[] keyFields;
  private final int[] keyFieldLengths;
  private final Object[] values;
  private final byte[] pairs;
  private final int[] lookups;
  private final int[] hits;
  private final int[] nextValue;
  private final byte[] verdicts; // per key: a SpanGate's answer, VERDICT_* (0: not asked yet)
  private final int mask;

  private static final byte VERDICT_PASSES = 1;
  private static final byte VERDICT_FAILS = 2;

  /** Creates a cache of {@code keyCapacity} keys (rounded up to a power of two). */
  public KeyValueCache(int keyCapacity) {
    int size = Integer.highestOneBit(Math.max(2, keyCapacity) * 2 - 1);
    keys = new String[size];
    keyFields = new byte[size * KEY_FIELD_BYTES];
    keyFieldLengths = new int[size];
    values = new Object[size * VALUES_PER_KEY];
    pairs = new byte[size * VALUES_PER_KEY * PAIR_BYTES];
    lookups = new int[size];
    hits = new int[size];
    nextValue = new int[size];
    verdicts = new byte[size];
    mask = size - 1;
  }

  /**
   * Returns the entry of {@code key}, adding it (in place of another key) when absent; -1 when the
   * key is empty or too long to cache.
   */
  public int keyIndex(String key) {
    int i = System.identityHashCode(key) & mask;
    String[] table = keys;
    if (table[i] == key) {
      return i;
    }
    int j = (i + 1) & mask;
    if (table[j] == key) {
      return j;
    }
    return addKey(key, i, j);
  }

  /** Whether entry {@code k} (which may be -1) holds {@code key}: a check of a guessed entry. */
  public boolean holdsKey(int k, String key) {
    return k >= 0 && keys[k] == key;
  }

  private int addKey(String key, int i, int j) {
    int encoded = Utf8.encodedLength(key);
    int length = Utf8.byteLength(encoded);
    if (length == 0 || length > MAX_KEY_BYTES) {
      return -1;
    }
    int k = keys[i] == null || keys[j] != null ? i : j;
    int base = k * KEY_FIELD_BYTES;
    keyFields[base] = TAG_KEY;
    keyFields[base + 1] = (byte) length;
    Utf8.write(keyFields, base + 2, key, encoded);
    keyFieldLengths[k] = 2 + length;
    keys[k] = key;
    for (int v = k * VALUES_PER_KEY, end = v + VALUES_PER_KEY; v < end; v++) {
      values[v] = null;
    }
    lookups[k] = 0;
    hits[k] = 0;
    nextValue[k] = 0;
    verdicts[k] = 0;
    return k;
  }

  /**
   * Returns whether the key of entry {@code k} {@linkplain SpanGate#passes passes} {@code gate},
   * asking it only the first time after the key took its place. One cache serves one gate.
   */
  public boolean passes(int k, SpanGate gate) {
    byte verdict = verdicts[k];
    if (verdict == 0) {
      verdict = gate.passes(keys[k]) ? VERDICT_PASSES : VERDICT_FAILS;
      verdicts[k] = verdict;
    }
    return verdict == VERDICT_PASSES;
  }

  /** Length of the key field of entry {@code k}: tag, length byte and UTF-8 bytes. */
  public int keyFieldLength(int k) {
    return keyFieldLengths[k];
  }

  /**
   * Copies the key field of entry {@code k} to {@code dst} at {@code pos}, where {@code dst} has
   * room for {@link #COPY_SLACK} bytes more than the field; returns the end of the field.
   */
  public int writeKeyField(int k, byte[] dst, int pos) {
    int length = keyFieldLengths[k];
    copyWords(keyFields, k * KEY_FIELD_BYTES, dst, pos, length);
    return pos + length;
  }

  /**
   * Bytes past the end of a copied field that {@link #writeKeyField} and {@link #writePair} may
   * overwrite: they copy whole eight-byte words, which for fields this short is cheaper than a call
   * to the array-copy stub. Those bytes are the caller's next bytes to write anyway.
   */
  public static final int COPY_SLACK = 7;

  private static void copyWords(byte[] src, int from, byte[] dst, int to, int length) {
    for (int i = 0; i < length; i += 8) {
      ProtoWire.writeFixed64(dst, to + i, ProtoWire.readFixed64(src, from + i));
    }
  }

  /** Returns the pair slot holding {@code value} (by identity) under key entry {@code k}, or -1. */
  public int findPair(int k, Object value) {
    lookups[k]++;
    Object[] v = values;
    int base = k * VALUES_PER_KEY;
    for (int s = base, end = base + VALUES_PER_KEY; s < end; s++) {
      if (v[s] == value) {
        hits[k]++;
        return s;
      }
    }
    return -1;
  }

  /** Whether key entry {@code k} holds {@code value}; unlike {@link #findPair}, counts nothing. */
  public boolean holds(int k, Object value) {
    for (int s = k * VALUES_PER_KEY, end = s + VALUES_PER_KEY; s < end; s++) {
      if (values[s] == value) {
        return true;
      }
    }
    return false;
  }

  /** Length of the bytes {@link #writePair} copies: the length byte and the KeyValue body. */
  public int pairLength(int slot) {
    return 1 + pairs[slot * PAIR_BYTES];
  }

  /**
   * Copies the pair at {@code slot}, the KeyValue body's length byte and body, to {@code dst} at
   * {@code pos}, where {@code dst} has room for {@link #COPY_SLACK} bytes more; returns the end.
   */
  public int writePair(int slot, byte[] dst, int pos) {
    int base = slot * PAIR_BYTES;
    int length = 1 + pairs[base];
    copyWords(pairs, base, dst, pos, length);
    return pos + length;
  }

  /**
   * Offers the KeyValue just written to {@code src}, its length byte at {@code lengthPos} and its
   * body up to {@code end}, as the encoding of {@code value} under key entry {@code k}. It is kept
   * when it fits and the key's values have been repeating.
   */
  public void offer(int k, Object value, byte[] src, int lengthPos, int end) {
    int length = end - lengthPos;
    if (length > PAIR_BYTES || !admits(k)) {
      return;
    }
    int next = nextValue[k];
    nextValue[k] = (next + 1) & (VALUES_PER_KEY - 1);
    int slot = k * VALUES_PER_KEY + next;
    System.arraycopy(src, lengthPos, pairs, slot * PAIR_BYTES, length);
    values[slot] = value;
  }

  private boolean admits(int k) {
    int l = lookups[k];
    int h = hits[k];
    if (l >= DECAY) {
      lookups[k] = l >>= 1;
      hits[k] = h >>= 1;
    }
    return l < WARM_UP || h * HIT_RATIO >= l || (l & PROBE_MASK) == 0;
  }
}
