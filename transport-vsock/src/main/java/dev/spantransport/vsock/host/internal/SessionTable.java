package dev.spantransport.vsock.host.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
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

  /** One guest session. {@link #acked()} only grows. */
  public static final class Session {
    private final long idHigh;
    private final long idLow;
    private final String hex;
    private volatile long acked;
    private int holders; // guarded by the table

    Session(long idHigh, long idLow) {
      this.idHigh = idHigh;
      this.idLow = idLow;
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
      }
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

  private final Map<Key, Session> sessions;
  private final int capacity;

  /**
   * Creates a table holding at most {@code capacity} sessions.
   *
   * @param capacity positive
   */
  public SessionTable(int capacity) {
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
    return sessions.computeIfAbsent(new Key(idHigh, idLow), k -> new Session(idHigh, idLow));
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
      s = new Session(idHigh, idLow);
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
