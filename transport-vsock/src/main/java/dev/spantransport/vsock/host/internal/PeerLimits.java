package dev.spantransport.vsock.host.internal;

import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-peer caps, so that one guest cannot take every connection or the whole receive-buffer budget
 * from the others. A peer is what the socket can tell apart: one VM for vsock (its CID), the VMM
 * behind one hybrid-vsock socket file (its path), one user for Unix sockets (its uid, or its user
 * name where the channel reports only that) and one address for TCP.
 *
 * <p>Connections are counted when accepted and uncounted when closed; bytes are reserved from a
 * peer's share alongside the shared {@link MemoryBudget}. A peer's entry lives while it has a
 * connection or holds memory. Thread-safe: receive loops of different selector providers share one
 * instance.
 *
 * <p>This class is internal and may change without notice.
 */
final class PeerLimits {

  /** One peer's connections and the bytes its connections hold. */
  static final class Peer {
    final String key;
    private volatile int connections;
    private final AtomicLong held = new AtomicLong();

    Peer(String key) {
      this.key = key;
    }

    /** Returns the peer's open connections. */
    int connections() {
      return connections;
    }

    /** Returns the bytes the peer's connections hold. */
    long held() {
      return held.get();
    }

    @Override
    public String toString() {
      return key;
    }
  }

  private final int maxConnections;
  private final long budget;
  private final Map<String, Peer> peers = new HashMap<>();

  PeerLimits(int maxConnections, long budget) {
    this.maxConnections = maxConnections;
    this.budget = budget;
  }

  /**
   * Returns the key that groups connections into one peer.
   *
   * @param peer the identity the transport reported
   * @return the peer's key
   */
  static String keyOf(PeerIdentity peer) {
    Attributes a = peer.attributes();
    String transport = peer.transport();
    Long cid = a.get(PeerAttributes.CID);
    if (cid != null) {
      return transport + " cid " + cid;
    }
    String address = a.get(PeerAttributes.ADDRESS);
    if (address != null) {
      return transport + " address " + address;
    }
    String path = a.get(PeerAttributes.SOCKET_PATH);
    if ("hvsock".equals(transport) && path != null) {
      return transport + " socket_path " + path;
    }
    Long uid = a.get(PeerAttributes.UID);
    if (uid != null) {
      return transport + " uid " + uid;
    }
    String user = a.get(PeerAttributes.USER);
    if (user != null) {
      return transport + " user " + user;
    }
    return transport + (path != null ? " socket_path " + path : "");
  }

  /**
   * Counts a new connection of {@code key} unless the peer is at its cap.
   *
   * @param key the peer's key
   * @return the peer, or null if it already has the most connections allowed
   */
  synchronized Peer open(String key) {
    Peer p = peers.computeIfAbsent(key, Peer::new);
    if (p.connections >= maxConnections) {
      return null;
    }
    p.connections++;
    return p;
  }

  /**
   * Uncounts a connection of {@code peer}.
   *
   * @param peer a peer returned by {@link #open}
   */
  synchronized void closed(Peer peer) {
    peer.connections--;
    forgetIfUnused(peer);
  }

  /**
   * Reserves {@code bytes} from the peer's share if they fit.
   *
   * @param peer the peer
   * @param bytes not negative
   * @return true if reserved
   */
  boolean tryReserve(Peer peer, long bytes) {
    if (bytes <= 0) {
      return true;
    }
    while (true) {
      long current = peer.held.get();
      if (current + bytes > budget) {
        return false;
      }
      if (peer.held.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  /**
   * Reserves {@code bytes} from the peer's share even past it (memory already taken).
   *
   * @param peer the peer
   * @param bytes not negative
   */
  void forceReserve(Peer peer, long bytes) {
    peer.held.addAndGet(bytes);
  }

  /**
   * Returns {@code bytes} to the peer's share.
   *
   * @param peer the peer
   * @param bytes not negative
   */
  void release(Peer peer, long bytes) {
    if (bytes > 0 && peer.held.addAndGet(-bytes) == 0 && peer.connections == 0) {
      synchronized (this) {
        forgetIfUnused(peer);
      }
    }
  }

  private void forgetIfUnused(Peer peer) {
    if (peer.connections == 0 && peer.held.get() == 0) {
      peers.remove(peer.key, peer);
    }
  }

  /** Returns the most connections one peer may hold. */
  int maxConnections() {
    return maxConnections;
  }

  /** Returns the bytes one peer's connections may hold. */
  long budget() {
    return budget;
  }

  /** Returns how many peers have a connection or hold memory. */
  synchronized int size() {
    return peers.size();
  }
}
