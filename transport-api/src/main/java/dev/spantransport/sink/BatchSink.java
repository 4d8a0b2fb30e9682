package dev.spantransport.sink;

import io.opentelemetry.sdk.common.CompletableResultCode;

/**
 * What every sink has, whatever signal it takes: {@link #flush()} and {@link #shutdown()}. It
 * exists so that one object can be a sink of several signals (a {@link SpanSink}, {@link LogSink}
 * and {@link MetricSink} at once, like {@link OtlpHttpSink}) with one {@code flush} and one {@code
 * shutdown}. A receiver shuts such a sink down once.
 */
public interface BatchSink {

  /**
   * Completes when everything accepted so far has been processed. The default succeeds at once.
   *
   * @return the flush result
   */
  default CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  /**
   * Releases the sink's resources after pending work finished or gave up. Safe to call twice.
   *
   * @return a result that completes when the sink has shut down
   */
  CompletableResultCode shutdown();
}
