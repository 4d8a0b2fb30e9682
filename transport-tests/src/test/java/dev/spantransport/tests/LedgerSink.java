package dev.spantransport.tests;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;

/** An in-process sink that records every batch in a {@link SpanLedger} and succeeds at once. */
final class LedgerSink implements SpanSink {

  private final SpanLedger ledger;

  LedgerSink(SpanLedger ledger) {
    this.ledger = ledger;
  }

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    ledger.record(
        batch.sessionId(), batch.sequence(), batch.buffer(), batch.offset(), batch.length());
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
