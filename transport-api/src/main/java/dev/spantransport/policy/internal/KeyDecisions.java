package dev.spantransport.policy.internal;

import java.util.function.ToIntFunction;

/**
 * A bounded, read-mostly cache from attribute key to the policy's action for it: lookups take no
 * lock and allocate nothing (an open-addressing table, probed by the key's cached hash and compared
 * by reference first); a miss computes the action and publishes a copied table. Keys past the
 * capacity are decided each time, never cached, so memory stays bounded whatever a guest sends.
 *
 * <p>This class is internal and may change without notice.
 */
public final class KeyDecisions {

  private static final int CAPACITY = 4096;
  private static final int MAX_PROBES = 8;

  private final ToIntFunction<String> decide;
  private volatile Table table = new Table(64);

  private static final class Table {
    final String[] keys;
    final byte[] actions;
    final int mask;
    int size;

    Table(int slots) {
      keys = new String[slots];
      actions = new byte[slots];
      mask = slots - 1;
    }
  }

  /** Creates a cache in front of {@code decide}, which returns an action between 0 and 127. */
  public KeyDecisions(ToIntFunction<String> decide) {
    this.decide = decide;
  }

  /** Returns the action for {@code key}. */
  public int actionFor(String key) {
    Table t = table;
    int i = key.hashCode() & t.mask;
    for (int probe = 0; probe < MAX_PROBES; probe++) {
      String k = t.keys[i];
      if (k == null) {
        break;
      }
      if (k == key || k.equals(key)) {
        return t.actions[i];
      }
      i = (i + 1) & t.mask;
    }
    int action = decide.applyAsInt(key);
    remember(key, action);
    return action;
  }

  private synchronized void remember(String key, int action) {
    Table t = table;
    if (t.size >= CAPACITY) {
      return;
    }
    int slots = t.keys.length;
    if ((t.size + 1) * 2 > slots) {
      slots *= 2;
    }
    Table copy = new Table(slots);
    for (int j = 0; j < t.keys.length; j++) {
      if (t.keys[j] != null) {
        insert(copy, t.keys[j], t.actions[j]);
      }
    }
    insert(copy, key, action);
    table = copy;
  }

  private static void insert(Table t, String key, int action) {
    int i = key.hashCode() & t.mask;
    for (int probe = 0; probe < MAX_PROBES; probe++) {
      if (t.keys[i] == null || t.keys[i].equals(key)) {
        if (t.keys[i] == null) {
          t.size++;
        }
        t.keys[i] = key;
        t.actions[i] = (byte) action;
        return;
      }
      i = (i + 1) & t.mask;
    }
    // the neighbourhood is full: this key is decided each time instead
  }
}
