package dev.spantransport.vsock.host.internal;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

/**
 * One in-flight batch of a connection: its payload copy, the flyweight handed to the sinks and the
 * sinks' results. Reused for the connection's lifetime. Sink threads only touch {@link #pending},
 * {@link #failed} and the completion stack; everything else belongs to the loop thread.
 *
 * <p>This class is internal and may change without notice.
 */
final class Slot {

  static final int FREE = 0;
  static final int PENDING = 1;
  static final int SUCCEEDED = 2;
  static final int FAILED = 3;

  /**
   * Rejected for good (MALFORMED_PAYLOAD, TOO_MANY_SPANS without reaching the sinks; BATCH_REJECTED
   * when a sink refused it for good): done.
   */
  static final int REJECTED = 4;

  /** Settled on another slot of the session (delivered there, or before): done, not delivered. */
  static final int SKIPPED = 5;

  final Connection connection;

  /** The batch the sinks see; a new immutable one per dispatch. */
  OtlpBatch batch;

  final CompletableResultCode[] results;
  final Runnable[] callbacks;
  final AtomicInteger pending = new AtomicInteger();

  /** A sink failed the batch; it may succeed when resent. */
  volatile boolean failed;

  /**
   * A sink refused the batch for good ({@link BatchRejectedException}); {@link #refusal} says why.
   */
  volatile boolean refused;

  volatile String refusal;
  Slot nextDone;

  /**
   * Not dispatched: waits for the slot of another connection that has the same (session, sequence)
   * in the sinks, and completes with its outcome.
   */
  boolean waiting;

  int state = FREE;
  long sequence;
  int spanCount;
  byte[] payload;
  int length;
  long startNanos;

  /** Creates a slot with room for the results of the most sinks any signal has. */
  Slot(Connection connection, ReceiverContext context) {
    this(connection, context.maxSinksPerSignal());
  }

  Slot(Connection connection, int sinkCount) {
    this.connection = connection;
    this.results = new CompletableResultCode[sinkCount];
    this.callbacks = new Runnable[sinkCount];
    for (int i = 0; i < sinkCount; i++) {
      int index = i;
      callbacks[i] = () -> onSinkDone(index);
    }
  }

  private void onSinkDone(int index) {
    CompletableResultCode result = results[index];
    if (result == null || !result.isSuccess()) {
      Throwable cause = result == null ? null : result.getFailureThrowable();
      if (cause instanceof BatchRejectedException) {
        refusal = cause.getMessage();
        refused = true;
      } else {
        failed = true;
      }
    }
    if (pending.decrementAndGet() == 0) {
      connection.loop.completed(this);
    }
  }

  /**
   * Clears the previous outcome and hands {@link #batch} to every sink of its signal; each sink's
   * result completes through its callback. A sink that throws or returns null counts as failed.
   */
  void offerTo(ReceiverContext context, RateLimitedLogger log) {
    failed = false;
    refused = false;
    refusal = null;
    Object[] sinks = context.sinksOf(batch.signal());
    pending.set(sinks.length);
    for (int i = 0; i < sinks.length; i++) {
      CompletableResultCode result;
      try {
        result = ReceiverContext.offer(sinks[i], batch);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "sink " + sinks[i] + " threw", e);
        result = null;
      }
      if (result == null) {
        result = CompletableResultCode.ofFailure();
      }
      results[i] = result;
      if (result.isDone()) {
        // What whenComplete would do, without the list it allocates for every callback.
        callbacks[i].run();
      } else {
        result.whenComplete(callbacks[i]);
      }
    }
  }
}
