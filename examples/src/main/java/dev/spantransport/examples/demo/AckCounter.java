package dev.spantransport.examples.demo;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps the demo's sink and counts the spans that pass: received, accepted (acknowledged to the
 * guest), refused for now (the guest keeps and resends them) and rejected for good (dropped).
 */
final class AckCounter implements SpanSink {

  private final SpanSink delegate;
  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  AckCounter(SpanSink delegate) {
    this.delegate = delegate;
  }

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    int n = batch.spanCount();
    spans.addAndGet(n);
    CompletableResultCode result = delegate.accept(batch);
    result.whenComplete(
        () -> {
          if (result.isSuccess()) {
            accepted.addAndGet(n);
          } else if (result.getFailureThrowable() instanceof BatchRejectedException) {
            dropped.addAndGet(n);
          } else {
            refused.addAndGet(n);
          }
        });
    return result;
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }

  long spans() {
    return spans.get();
  }

  long accepted() {
    return accepted.get();
  }

  long refused() {
    return refused.get();
  }

  long dropped() {
    return dropped.get();
  }

  @Override
  public String toString() {
    return "AckCounter{" + delegate + "}";
  }
}
