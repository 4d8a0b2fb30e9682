package dev.spantransport.sink;

import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.Attributes;

/**
 * One batch of metric data points as a receiver hands it to a {@link MetricSink}: an OTLP {@code
 * ExportMetricsServiceRequest} exactly as the guest sent it (after the receiver removed forged
 * identity attributes), with who sent it and where it sits in the sender's session. See {@link
 * OtlpBatch} for the view's lifetime and the identity rules.
 *
 * <p>Instances are immutable; a receiver creates one per batch with {@link #of}.
 */
public final class MetricBatch extends OtlpBatch {

  private MetricBatch(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      long sequence,
      int count,
      byte[] buffer,
      int offset,
      int length) {
    super(peer, identity, sessionId, sequence, count, buffer, offset, length);
  }

  /**
   * Returns a batch viewing a payload. Called by receivers (and tests); sinks only read batches.
   *
   * @param peer the sender as the transport saw it
   * @param identity the resource attributes to tag the payload with (transport plus resolver)
   * @param sessionId the sender's session id as 32 lowercase hex digits, or empty
   * @param sequence the batch sequence within the session (starts at 1)
   * @param count the number of metric data points in the payload
   * @param buffer the array holding the payload (not copied)
   * @param offset where the payload starts in {@code buffer}
   * @param length the payload length in bytes
   * @return the batch
   * @throws IndexOutOfBoundsException if the payload does not lie within {@code buffer}
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public static MetricBatch of(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      long sequence,
      int count,
      byte[] buffer,
      int offset,
      int length) {
    return new MetricBatch(peer, identity, sessionId, sequence, count, buffer, offset, length);
  }

  /** Returns {@link Signal#METRICS}. */
  @Override
  public Signal signal() {
    return Signal.METRICS;
  }

  /** Returns the number of metric data points in the payload, as counted by the receiver. */
  public int dataPointCount() {
    return itemCount();
  }
}
