package dev.spantransport.tests.adversity;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.concurrent.atomic.AtomicLong;

/** A sink that counts spans and batches per guest transport and accepts everything at once. */
public final class CountingSink implements SpanSink {

  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    spans.addAndGet(batch.spanCount());
    batches.incrementAndGet();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }

  /** Returns the spans accepted so far. */
  public long spans() {
    return spans.get();
  }

  /** Returns the batches accepted so far. */
  public long batches() {
    return batches.get();
  }
}
