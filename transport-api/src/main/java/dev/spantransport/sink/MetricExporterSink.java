package dev.spantransport.sink;

import dev.spantransport.sink.internal.ExporterHandOff;
import dev.spantransport.sink.internal.ProtoSignals;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A {@link MetricSink} that decodes each batch into the SDK's {@link
 * io.opentelemetry.sdk.metrics.data.MetricData} and hands it to an OpenTelemetry {@link
 * MetricExporter}, so any metric exporter (OTLP, Prometheus push, logging) plugs in as it is: the
 * metrics counterpart of {@link SpanExporterSink}, with the same identity and failure rules. Every
 * resource gets the guest's {@linkplain OtlpBatch#identity() identity}, replacing payload
 * attributes under {@code spantransport.peer.}.
 *
 * <p>Decoding uses opentelemetry-proto's generated classes on the calling (receiver) thread; it is
 * not the span path, and a receiver only builds these batches when a metric sink is configured.
 * Needs {@code opentelemetry-proto}, {@code protobuf-java} and {@code opentelemetry-sdk-metrics} on
 * the class path (optional dependencies of this module; {@code transport-vsock} brings them).
 *
 * <p>A payload that cannot be decoded, or an exporter that throws or fails with {@link
 * BatchRejectedException}, refuses the batch for good; any other failure makes the guest resend.
 */
public final class MetricExporterSink implements MetricSink {

  private static final RateLimitedLogger logger =
      new RateLimitedLogger(Logger.getLogger(MetricExporterSink.class.getName()), 5, 60_000);

  private final MetricExporter exporter;
  private final AtomicBoolean shutdown = new AtomicBoolean();

  private MetricExporterSink(MetricExporter exporter) {
    this.exporter = exporter;
  }

  /**
   * Returns a sink that exports through {@code exporter}.
   *
   * @param exporter the exporter to hand decoded metrics to; shut down with the sink
   * @return a new sink
   */
  public static MetricExporterSink create(MetricExporter exporter) {
    return new MetricExporterSink(Objects.requireNonNull(exporter, "exporter"));
  }

  /** Decodes the batch, tags it with the guest identity and exports it. */
  @Override
  public CompletableResultCode accept(MetricBatch batch) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    return ExporterHandOff.export(
        batch,
        "metrics",
        b ->
            ProtoSignals.metrics(
                ExportMetricsServiceRequest.parseFrom(ProtoSignals.payload(b)), b.identity()),
        exporter::export,
        exporter,
        logger);
  }

  /** Flushes the exporter. */
  @Override
  public CompletableResultCode flush() {
    return exporter.flush();
  }

  /** Shuts the exporter down; a second call succeeds at once. */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      return CompletableResultCode.ofSuccess();
    }
    return exporter.shutdown();
  }

  @Override
  public String toString() {
    return "MetricExporterSink{exporter=" + exporter + "}";
  }
}
