package dev.spantransport.sink;

import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.Attributes;

/**
 * One batch of spans as a receiver hands it to a {@link SpanSink}: an OTLP {@code
 * ExportTraceServiceRequest} exactly as the guest sent it (after the receiver removed forged
 * identity attributes and applied its span limits), with who sent it and where it sits in the
 * sender's session. See {@link OtlpBatch} for the view's lifetime and the identity rules.
 *
 * <p>Instances are immutable; a receiver creates one per batch with {@link #of}.
 */
public final class SpanBatch extends OtlpBatch {

  /**
   * Prefix of every transport-derived identity attribute ({@code spantransport.peer.cid}, {@code
   * .port}, {@code .socket_path}, {@code .pid}, {@code .uid}, {@code .address}, {@code
   * .transport}). Payload attributes under this prefix are removed before export, in every signal.
   */
  public static final String PEER_ATTRIBUTE_PREFIX = "spantransport.peer.";

  private SpanBatch(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      long sequence,
      int spanCount,
      byte[] buffer,
      int offset,
      int length) {
    super(peer, identity, sessionId, sequence, spanCount, buffer, offset, length);
  }

  /**
   * Returns a batch viewing a payload. Called by receivers (and tests); sinks only read batches.
   *
   * @param peer the sender as the transport saw it
   * @param identity the resource attributes to tag the payload with (transport plus resolver)
   * @param sessionId the sender's session id as 32 lowercase hex digits, or empty
   * @param sequence the batch sequence within the session (starts at 1)
   * @param spanCount the number of spans in the payload
   * @param buffer the array holding the payload (not copied)
   * @param offset where the payload starts in {@code buffer}
   * @param length the payload length in bytes
   * @return the batch
   * @throws IndexOutOfBoundsException if the payload does not lie within {@code buffer}
   * @throws IllegalArgumentException if {@code spanCount} is negative
   */
  public static SpanBatch of(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      long sequence,
      int spanCount,
      byte[] buffer,
      int offset,
      int length) {
    return new SpanBatch(peer, identity, sessionId, sequence, spanCount, buffer, offset, length);
  }

  /** Returns {@link Signal#TRACES}. */
  @Override
  public Signal signal() {
    return Signal.TRACES;
  }

  /** Returns the number of spans in the payload, as counted by the receiver. */
  public int spanCount() {
    return itemCount();
  }
}
