package dev.spantransport.sink;

import io.opentelemetry.sdk.common.CompletableResultCode;

/**
 * Where a receiver delivers span batches: the host-side counterpart of a {@code SpanExporter}.
 *
 * <h2>Threading</h2>
 *
 * {@link #accept(SpanBatch)} is called on one of the receiver's I/O threads, which also serves
 * thousands of other guests. It must not block: start the work (or hand it to another thread) and
 * return a {@link CompletableResultCode} that completes later, from any thread. Calls may arrive
 * from several I/O threads at once, so implementations must be thread-safe.
 *
 * <h2>Delivery</h2>
 *
 * The receiver acknowledges a batch to its guest only after every sink's result has succeeded, so a
 * success means "I have it, the guest may forget it". A failed result makes the receiver report
 * {@code SINK_UNAVAILABLE} to the guest, which resends the batch later: delivery is at-least-once.
 * While results are pending the receiver stops reading from that guest once its window is full;
 * that is the backpressure path, so a sink that is overloaded should fail fast rather than queue
 * without bound.
 *
 * <p>The batch and its payload bytes are valid only until the returned result completes.
 */
public interface SpanSink extends BatchSink {

  /**
   * Accepts one batch. Must not block and must not throw; report problems by failing the result.
   *
   * @param batch the batch; valid until the returned result completes
   * @return a result that succeeds once the sink owns the batch, or fails if it cannot take it
   */
  CompletableResultCode accept(SpanBatch batch);
}
