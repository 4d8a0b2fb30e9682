package dev.spantransport.vsock.host.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
    private final Map<Long, Slot> inSinks = new HashMap<>();
    private final Map<Long, List<Slot>> waiters = new HashMap<>();
    private final TreeMap<Long, Boolean> settled = new TreeMap<>(); // sequence -> refused

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
        settled.headMap(sequence, true).clear();
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
      Boolean refused = settled.get(sequence);
      if (refused != null) {
        return refused ? REFUSED_BEFORE : SETTLED;
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
      return waiters.remove(sequence);
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
