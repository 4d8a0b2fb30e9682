package dev.spantransport.codec.internal;

/**
 * A small, bounded cache from a {@link String} (by identity) to its encoded protobuf string field:
 * a one-byte tag, the varint length and the UTF-8 bytes. Attribute keys are nearly always the same
 * few string constants, so the encoder measures and encodes each one once and then copies bytes.
 *
 * <p>All storage is allocated by the constructor: entries live in fixed-size regions of one byte
 * array and a new string simply replaces whatever entry sat in its place, so a stream of ever new
 * keys costs a probe and an overwrite, never an allocation. Strings whose field would not fit a
 * region are not cached. Lookups verify the identity of the stored string, so an entry that was
 * replaced is a miss, never a wrong answer.
 *
 * <p>This class is internal and may change at any time.
 */
public final class KeyFieldCache {
  /** Bytes kept per entry: tag, one length byte and up to 62 bytes of UTF-8. */
  public static final int ENTRY_BYTES = 64;

  private static final int MAX_STRING_BYTES = ENTRY_BYTES - 2;

  private final String[] strings;
  private final int[] encodedLengths;
  private final byte[] fields;
  private final int mask;
  private final byte tag;

  /**
   * Creates a cache of {@code capacity} entries (rounded up to a power of two) for fields with the
   * single-byte tag {@code tag}.
   */
  public KeyFieldCache(int capacity, byte tag) {
    int size = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1);
    strings = new String[size];
    encodedLengths = new int[size];
    fields = new byte[size * ENTRY_BYTES];
    mask = size - 1;
    this.tag = tag;
  }

  /**
   * Returns the entry index of {@code s}, adding it when absent and short enough; -1 when {@code s}
   * is not cached (too long).
   */
  public int indexOrAdd(String s) {
    int i = System.identityHashCode(s) & mask;
    String[] table = strings;
    if (table[i] == s) {
      return i;
    }
    int j = (i + 1) & mask;
    if (table[j] == s) {
      return j;
    }
    int encoded = Utf8.encodedLength(s);
    int length = Utf8.byteLength(encoded);
    if (length > MAX_STRING_BYTES) {
      return -1;
    }
    int slot = table[i] == null || table[j] != null ? i : j;
    int base = slot * ENTRY_BYTES;
    fields[base] = tag;
    fields[base + 1] = (byte) length;
    Utf8.write(fields, base + 2, s, encoded);
    encodedLengths[slot] = encoded;
    table[slot] = s;
    return slot;
  }

  /** Whether the entry at {@code index} (from {@link #indexOrAdd}) still holds {@code s}. */
  public boolean holds(int index, String s) {
    return strings[index] == s;
  }

  /** Returns the entry index of {@code s}, or -1 when it is not cached. Never adds. */
  public int indexOf(String s) {
    int i = System.identityHashCode(s) & mask;
    String[] table = strings;
    if (table[i] == s) {
      return i;
    }
    int j = (i + 1) & mask;
    return table[j] == s ? j : -1;
  }

  /** The value {@link Utf8#encodedLength(String)} gives for the string at {@code index}. */
  public int encodedLength(int index) {
    return encodedLengths[index];
  }

  /** Length of the whole field at {@code index}: tag, length byte and UTF-8 bytes. */
  public int fieldLength(int index) {
    return 2 + Utf8.byteLength(encodedLengths[index]);
  }

  /** Copies the field at {@code index} to {@code dst} at {@code pos}; returns the next position. */
  public int writeField(int index, byte[] dst, int pos) {
    int length = 2 + Utf8.byteLength(encodedLengths[index]);
    System.arraycopy(fields, index * ENTRY_BYTES, dst, pos, length);
    return pos + length;
  }
}
