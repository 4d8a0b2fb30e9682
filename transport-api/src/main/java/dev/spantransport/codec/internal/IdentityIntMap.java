package dev.spantransport.codec.internal;

import java.util.Arrays;

/**
 * A reusable open-addressing map from object identity to a non-negative int. It grows when needed
 * and is then reused: {@link #clear()} keeps the table, so steady-state use allocates nothing.
 *
 * <p>This class is internal and may change at any time.
 */
public final class IdentityIntMap {
  private Object[] keys;
  private int[] values;
  private int size;

  /** Creates a map with room for {@code expected} keys before it grows. */
  public IdentityIntMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) * 2;
    keys = new Object[capacity];
    values = new int[capacity];
  }

  /** Returns the value for {@code key}, or -1 when absent. */
  public int get(Object key) {
    int mask = keys.length - 1;
    int i = mix(System.identityHashCode(key)) & mask;
    while (true) {
      Object k = keys[i];
      if (k == key) {
        return values[i];
      }
      if (k == null) {
        return -1;
      }
      i = (i + 1) & mask;
    }
  }

  /** Maps {@code key} (not yet present) to {@code value}. */
  public void put(Object key, int value) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    int mask = keys.length - 1;
    int i = mix(System.identityHashCode(key)) & mask;
    while (keys[i] != null) {
      if (keys[i] == key) {
        values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = key;
    values[i] = value;
    size++;
  }

  /** Removes every key, keeping the table for reuse. */
  public void clear() {
    if (size > 0) {
      Arrays.fill(keys, null);
      size = 0;
    }
  }

  /** Number of keys. */
  public int size() {
    return size;
  }

  private void grow() {
    Object[] oldKeys = keys;
    int[] oldValues = values;
    keys = new Object[oldKeys.length * 2];
    values = new int[oldKeys.length * 2];
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        put(oldKeys[i], oldValues[i]);
      }
    }
  }

  private static int mix(int h) {
    return h ^ (h >>> 16);
  }
}
