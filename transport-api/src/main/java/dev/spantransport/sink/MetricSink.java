package dev.spantransport.sink;

import io.opentelemetry.sdk.common.CompletableResultCode;

/**
 * Where a receiver delivers metric batches: the host-side counterpart of a {@code MetricExporter},
 * with exactly the contract of {@link SpanSink} (non-blocking {@code accept}, the guest is acked
 * only after every metric sink's result succeeded, {@link BatchRejectedException} refuses a batch
 * for good, any other failure makes the guest resend it).
 *
 * <p>A receiver without metric sinks does not offer the metrics capability to its guests, so they
 * do not send metrics to it (see {@code docs/PROTOCOL.md}); over OTLP/HTTP it answers 404 on {@code
 * /v1/metrics}.
 */
public interface MetricSink extends BatchSink {

  /**
   * Accepts one batch. Must not block and must not throw; report problems by failing the result.
   *
   * @param batch the batch; its payload is valid until the returned result completes
   * @return a result that succeeds once the sink owns the batch, or fails if it cannot take it
   */
  CompletableResultCode accept(MetricBatch batch);
}
