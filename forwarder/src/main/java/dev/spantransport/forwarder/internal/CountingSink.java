package dev.spantransport.forwarder.internal;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps a sink and counts what passes: batches and spans received, accepted (so acknowledged to
 * span-transport guests), refused (span-transport guests keep and resend those) and dropped (Kata
 * agent batches the sink refused: that protocol has no resend, so they are lost).
 *
 * <p>Kata batches are told apart by their empty session id (see {@code LegacyFrameDecoder}).
 *
 * <p>This class is internal and may change without notice.
 */
public final class CountingSink implements SpanSink {

  private final SpanSink delegate;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong kataSpans = new AtomicLong();
  // System.nanoTime() of the first refusal since the last accepted batch; NOT_FAILING otherwise.
  private final AtomicLong failingSince = new AtomicLong(NOT_FAILING);
  private static final long NOT_FAILING = Long.MIN_VALUE;

  /**
   * Wraps {@code delegate}.
   *
   * @param delegate the sink that does the work
   */
  public CountingSink(SpanSink delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    int n = batch.spanCount();
    boolean kata = batch.sessionId().isEmpty();
    batches.incrementAndGet();
    spans.addAndGet(n);
    if (kata) {
      kataSpans.addAndGet(n);
    }
    CompletableResultCode result;
    try {
      result = delegate.accept(batch);
    } catch (RuntimeException e) {
      result = CompletableResultCode.ofFailure();
    }
    CompletableResultCode r = result;
    r.whenComplete(
        () -> {
          if (r.isSuccess()) {
            accepted.addAndGet(n);
            failingSince.set(NOT_FAILING);
            return;
          }
          if (!(r.getFailureThrowable() instanceof BatchRejectedException)) {
            // A malformed batch is the guest's fault, not a failing sink.
            failingSince.compareAndSet(NOT_FAILING, System.nanoTime());
          }
          if (kata) {
            dropped.addAndGet(n);
          } else {
            refused.addAndGet(n);
          }
        });
    return r;
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }

  /** Returns the SPANS batches (and Kata frames) received. */
  public long batches() {
    return batches.get();
  }

  /** Returns the spans received, duplicates excluded. */
  public long spans() {
    return spans.get();
  }

  /** Returns the spans of those the sink accepted (acknowledged to span-transport guests). */
  public long accepted() {
    return accepted.get();
  }

  /** Returns the spans the sink refused from span-transport guests, who resend them later. */
  public long refused() {
    return refused.get();
  }

  /** Returns the Kata agent spans the sink refused: lost, since that protocol cannot resend. */
  public long dropped() {
    return dropped.get();
  }

  /**
   * Returns how long the sink has been refusing every batch, as of {@code nowNanos} ({@link
   * System#nanoTime()}): from its first refusal after an accepted batch; 0 when the last batch was
   * accepted. Batches refused as malformed do not count.
   */
  public long failingNanos(long nowNanos) {
    long since = failingSince.get();
    return since == NOT_FAILING ? 0 : Math.max(0, nowNanos - since);
  }

  /** Returns the spans that arrived in Kata agent frames. */
  public long kataSpans() {
    return kataSpans.get();
  }

  /**
   * Returns a one-line summary, e.g. {@code spans received=120 (kata 20) acked=118 refused=2
   * dropped=0 batches=31}.
   */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "spans received=%d (kata %d) accepted=%d refused=%d dropped=%d batches=%d",
        spans(),
        kataSpans(),
        accepted(),
        refused(),
        dropped(),
        batches());
  }

  @Override
  public String toString() {
    return "CountingSink{" + delegate + "}";
  }
}
