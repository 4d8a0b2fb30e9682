package dev.spantransport.vsock.host.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers, per guest session id, the highest sequence the receiver has acknowledged, so that a
 * batch resent after a reconnect is acknowledged again without reaching the sinks. Bounded: the
 * least recently used sessions are forgotten first (a forgotten session's resends reach the sinks
 * again, which at-least-once delivery allows), but never one a live connection holds ({@link
 * #open}, until {@link #release}); while more sessions than the capacity are held, the table holds
 * them all. Thread-safe.
 *
 * <p>This class is internal and may change without notice.
 */
public final class SessionTable {

  /**
   * One guest session. {@link #acked()} only grows.
   *
   * <p>Besides the acked sequence, a session knows which of its batches are in the sinks now, on
   * whichever connection, and which above the acked sequence are already settled (delivered, or
   * refused for good) but not yet covered by an ACK because a batch before them is not. A guest
   * that reconnects while its old connection's batches are still in the sinks resends them; {@link
   * #claim} makes the new connection wait for those instead of dispatching them again, and skip
   * settled ones. That is what keeps delivery to the sinks once per (session, sequence) across
   * reconnects.
   */
  public static final class Session {

    /** {@link #claim}: the batch is not in the sinks; the caller dispatches it. */
    static final int DISPATCH = 0;

    /** {@link #claim}: the batch is already settled; the caller counts it done. */
    static final int SETTLED = 1;

    /** {@link #claim}: the batch is in the sinks on another slot; the caller waits for it. */
    static final int WAIT = 2;

    /** {@link #claim}: a sink already refused the batch for good; the caller rejects it again. */
    static final int REFUSED_BEFORE = 3;

    /** Outcomes of a batch, for {@link #finish}. */
    static final int DELIVERED = 0;

    static final int RETRY = 1;
    static final int REFUSED = 2;

    private final long idHigh;
    private final long idLow;
    private final String hex;
    private volatile long acked;
    private int holders; // guarded by the table
    private final int maxSettled;
    // guarded by this session
    // Kept in primitive tables: a steady stream of batches claims, finishes and acks without
    // allocating (no boxed sequence, no map entry).
    private final SlotsBySequence inSinks = new SlotsBySequence();
    private final Map<Long, List<Slot>> waiters = new HashMap<>(); // only after a reconnect
    private final SettledSequences settled = new SettledSequences();

    Session(long idHigh, long idLow, int maxSettled) {
      this.idHigh = idHigh;
      this.idLow = idLow;
      this.maxSettled = maxSettled;
      this.hex = String.format("%016x%016x", idHigh, idLow);
    }

    /** Returns the highest acknowledged sequence, 0 if none. */
    public long acked() {
      return acked;
    }

    /**
     * Raises the acknowledged sequence to {@code sequence} if that is higher.
     *
     * @param sequence an acknowledged sequence
     */
    public synchronized void ack(long sequence) {
      if (sequence > acked) {
        acked = sequence;
        settled.removeUpTo(sequence);
      }
    }

    /**
     * Decides what a connection does with batch {@code sequence} it just read into {@code slot}:
     * {@link #DISPATCH} it (the session now knows it is in the sinks on {@code slot}), count it
     * {@link #SETTLED}, or {@link #WAIT} for the slot that has it in the sinks; the waiting slot is
     * completed through its loop with that slot's outcome.
     */
    synchronized int claim(long sequence, Slot slot) {
      if (sequence <= acked) {
        return SETTLED;
      }
      int verdict = settled.get(sequence);
      if (verdict != SettledSequences.ABSENT) {
        return verdict == SettledSequences.REFUSED ? REFUSED_BEFORE : SETTLED;
      }
      Slot owner = inSinks.get(sequence);
      if (owner == null) {
        inSinks.put(sequence, slot);
        return DISPATCH;
      }
      waiters.computeIfAbsent(sequence, k -> new ArrayList<>(1)).add(slot);
      return WAIT;
    }

    /**
     * Records the outcome of batch {@code sequence} that {@link #claim} let a slot dispatch, and
     * returns the slots waiting for it (null if none); the caller completes them.
     */
    synchronized List<Slot> finish(long sequence, int outcome) {
      inSinks.remove(sequence);
      if (outcome != RETRY && sequence > acked && settled.size() < maxSettled) {
        settled.put(sequence, outcome == REFUSED);
      }
      return waiters.isEmpty() ? null : waiters.remove(sequence);
    }

    /** Returns how many of this session's batches are in the sinks now. */
    public synchronized int inSinks() {
      return inSinks.size();
    }

    /** Returns the session id as 32 lowercase hex digits. */
    public String hex() {
      return hex;
    }

    long idHigh() {
      return idHigh;
    }

    long idLow() {
      return idLow;
    }
  }

  /**
   * The batches of one session in the sinks, by sequence: an open-addressing table of primitive
   * sequences (linear probing, deletion by shifting back), grown when half full, never shrunk.
   */
  static final class SlotsBySequence {
    private long[] sequences = new long[16];
    private Slot[] slots = new Slot[16];
    private int size;

    int size() {
      return size;
    }

    private static int hash(long sequence) {
      long h = sequence * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }

    Slot get(long sequence) {
      int mask = slots.length - 1;
      for (int i = hash(sequence) & mask; slots[i] != null; i = (i + 1) & mask) {
        if (sequences[i] == sequence) {
          return slots[i];
        }
      }
      return null;
    }

    /** Maps {@code sequence} to {@code slot} (not null), replacing any slot it had. */
    void put(long sequence, Slot slot) {
      if (2 * (size + 1) > slots.length) {
        grow();
      }
      int mask = slots.length - 1;
      int i = hash(sequence) & mask;
      while (slots[i] != null) {
        if (sequences[i] == sequence) {
          slots[i] = slot;
          return;
        }
        i = (i + 1) & mask;
      }
      sequences[i] = sequence;
      slots[i] = slot;
      size++;
    }

    void remove(long sequence) {
      int mask = slots.length - 1;
      int i = hash(sequence) & mask;
      while (slots[i] != null && sequences[i] != sequence) {
        i = (i + 1) & mask;
      }
      if (slots[i] == null) {
        return;
      }
      size--;
      // Shift back the entries after i that probed past it, so no lookup stops short.
      int gap = i;
      for (int j = (i + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
        int home = hash(sequences[j]) & mask;
        if (((j - home) & mask) >= ((j - gap) & mask)) {
          sequences[gap] = sequences[j];
          slots[gap] = slots[j];
          gap = j;
        }
      }
      slots[gap] = null;
    }

    private void grow() {
      long[] oldSequences = sequences;
      Slot[] oldSlots = slots;
      sequences = new long[oldSlots.length * 2];
      slots = new Slot[oldSlots.length * 2];
      size = 0;
      for (int i = 0; i < oldSlots.length; i++) {
        if (oldSlots[i] != null) {
          put(oldSequences[i], oldSlots[i]);
        }
      }
    }
  }

  /**
   * Settled sequences of one session above its acked one, with whether each was refused: a sorted
   * array (batches settle nearly in order, so an insert is nearly always an append), grown as
   * needed up to the session's bound.
   */
  static final class SettledSequences {
    static final int ABSENT = 0;
    static final int DELIVERED = 1;
    static final int REFUSED = 2;

    private long[] sequences = new long[8];
    private boolean[] refused = new boolean[8];
    private int size;

    int size() {
      return size;
    }

    /** {@link #ABSENT}, {@link #DELIVERED} or {@link #REFUSED}. */
    int get(long sequence) {
      int i = Arrays.binarySearch(sequences, 0, size, sequence);
      if (i < 0) {
        return ABSENT;
      }
      return refused[i] ? REFUSED : DELIVERED;
    }

    void put(long sequence, boolean wasRefused) {
      int i = Arrays.binarySearch(sequences, 0, size, sequence);
      if (i >= 0) {
        refused[i] = wasRefused;
        return;
      }
      i = -i - 1;
      if (size == sequences.length) {
        sequences = Arrays.copyOf(sequences, size * 2);
        refused = Arrays.copyOf(refused, size * 2);
      }
      System.arraycopy(sequences, i, sequences, i + 1, size - i);
      System.arraycopy(refused, i, refused, i + 1, size - i);
      sequences[i] = sequence;
      refused[i] = wasRefused;
      size++;
    }

    /** Forgets every sequence up to {@code sequence}, inclusive. */
    void removeUpTo(long sequence) {
      int i = Arrays.binarySearch(sequences, 0, size, sequence);
      int removed = i >= 0 ? i + 1 : -i - 1;
      if (removed == 0) {
        return;
      }
      size -= removed;
      System.arraycopy(sequences, removed, sequences, 0, size);
      System.arraycopy(refused, removed, refused, 0, size);
    }
  }

  private record Key(long high, long low) {}

  /** Default for the settled sequences one session remembers above its acked one. */
  public static final int DEFAULT_MAX_SETTLED = 16;

  private final Map<Key, Session> sessions;
  private final int capacity;
  private final int maxSettled;

  /**
   * Creates a table holding at most {@code capacity} sessions.
   *
   * @param capacity positive
   */
  public SessionTable(int capacity) {
    this(capacity, DEFAULT_MAX_SETTLED);
  }

  /**
   * Creates a table holding at most {@code capacity} sessions, each remembering at most {@code
   * maxSettled} settled sequences above its acked one (beyond that, a resend of such a batch
   * reaches the sinks again: at least once). A guest needs about one window of them after a
   * SINK_UNAVAILABLE.
   *
   * @param capacity positive
   * @param maxSettled not negative
   */
  public SessionTable(int capacity, int maxSettled) {
    if (maxSettled < 0) {
      throw new IllegalArgumentException("maxSettled must not be negative: " + maxSettled);
    }
    this.maxSettled = maxSettled;
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
    this.sessions =
        new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, Session> eldest) {
            if (size() > capacity) {
              evictOneUnheld(); // changes the map itself, so always answers false
            }
            return false;
          }
        };
  }

  /** Forgets the least recently used session nobody holds; false if every session is held. */
  private boolean evictOneUnheld() {
    Iterator<Session> it = sessions.values().iterator(); // least recently used first
    while (it.hasNext()) {
      if (it.next().holders == 0) {
        it.remove();
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the session with this id, creating it (acked 0) if unknown.
   *
   * @param idHigh the first 8 bytes of the session id, big-endian
   * @param idLow the last 8 bytes
   * @return the session
   */
  public synchronized Session session(long idHigh, long idLow) {
    return sessions.computeIfAbsent(
        new Key(idHigh, idLow), k -> new Session(idHigh, idLow, maxSettled));
  }

  /**
   * Returns the session with this id like {@link #session}, and holds it: it is not forgotten until
   * every {@code open} is matched by a {@link #release}.
   *
   * @param idHigh the first 8 bytes of the session id, big-endian
   * @param idLow the last 8 bytes
   * @return the session
   */
  public synchronized Session open(long idHigh, long idLow) {
    Key key = new Key(idHigh, idLow);
    Session s = sessions.get(key);
    if (s == null) {
      s = new Session(idHigh, idLow, maxSettled);
      s.holders = 1; // held before the put, so the put cannot evict it
      sessions.put(key, s);
    } else {
      s.holders++;
    }
    return s;
  }

  /**
   * Ends one {@link #open} of {@code session}; the table may forget it once nobody holds it.
   *
   * @param session a session returned by {@link #open}
   */
  public synchronized void release(Session session) {
    if (session.holders > 0) {
      session.holders--;
    }
    while (sessions.size() > capacity && evictOneUnheld()) {}
  }

  /** Returns how many sessions are remembered. */
  public synchronized int size() {
    return sessions.size();
  }
}
