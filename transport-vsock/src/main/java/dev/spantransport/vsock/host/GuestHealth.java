package dev.spantransport.vsock.host;

import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What one connected guest is doing, as {@link SpanReceiver#guests()} reports it: who it is (from
 * the socket), since when it is connected, when its last batch arrived, how many of its batches are
 * still in the sinks, and how many batches it delivered and lost. A snapshot: it does not change
 * after it is taken. The same figures are recorded as metrics ({@code
 * spantransport.receiver.guest.*}, per guest identity).
 *
 * @since 0.1.0
 */
public final class GuestHealth {

  private final PeerIdentity peer;
  private final Attributes identity;
  private final String sessionId;
  private final Instant connectedSince;
  private final Instant lastBatch; // null: none yet
  private final int unackedBatches;
  private final long batchesAcked;
  private final long batchesDropped;

  /**
   * Creates a snapshot; receivers do, applications read them.
   *
   * @param peer the guest as the transport identified it
   * @param identity the identity attributes its batches are tagged with
   * @param sessionId its session id as 32 hex digits, empty before its hello or for protocols
   *     without sessions (Kata frames, OTLP/HTTP)
   * @param connectedSince when the connection was accepted
   * @param lastBatch when its last batch arrived, or null if none has
   * @param unackedBatches its batches received and not yet acknowledged (in the sinks)
   * @param batchesAcked its batches acknowledged (delivered) on this connection
   * @param batchesDropped its batches rejected or dropped on this connection, for any reason
   */
  public GuestHealth(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      Instant connectedSince,
      Instant lastBatch,
      int unackedBatches,
      long batchesAcked,
      long batchesDropped) {
    this.peer = Objects.requireNonNull(peer, "peer");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
    this.connectedSince = Objects.requireNonNull(connectedSince, "connectedSince");
    this.lastBatch = lastBatch;
    this.unackedBatches = unackedBatches;
    this.batchesAcked = batchesAcked;
    this.batchesDropped = batchesDropped;
  }

  /** Returns the guest as the transport identified it. */
  public PeerIdentity peer() {
    return peer;
  }

  /** Returns the identity attributes its batches are tagged with. */
  public Attributes identity() {
    return identity;
  }

  /** Returns its session id, empty before its hello or without sessions. */
  public String sessionId() {
    return sessionId;
  }

  /** Returns when the connection was accepted. */
  public Instant connectedSince() {
    return connectedSince;
  }

  /** Returns when its last batch arrived, empty if none has on this connection. */
  public Optional<Instant> lastBatch() {
    return Optional.ofNullable(lastBatch);
  }

  /** Returns its batches received and not yet acknowledged. */
  public int unackedBatches() {
    return unackedBatches;
  }

  /** Returns its batches acknowledged (delivered) on this connection. */
  public long batchesAcked() {
    return batchesAcked;
  }

  /** Returns its batches rejected or dropped on this connection. */
  public long batchesDropped() {
    return batchesDropped;
  }

  @Override
  public String toString() {
    return "GuestHealth{peer="
        + peer
        + ", session="
        + (sessionId.isEmpty() ? "-" : sessionId)
        + ", connectedSince="
        + connectedSince
        + ", lastBatch="
        + (lastBatch == null ? "-" : lastBatch)
        + ", unackedBatches="
        + unackedBatches
        + ", batchesAcked="
        + batchesAcked
        + ", batchesDropped="
        + batchesDropped
        + "}";
  }
}
