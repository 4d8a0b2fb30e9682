package dev.spantransport.sink;

import dev.spantransport.sink.internal.ExporterHandOff;
import dev.spantransport.sink.internal.ProtoSignals;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A {@link LogSink} that decodes each batch into the SDK's {@link
 * io.opentelemetry.sdk.logs.data.LogRecordData} and hands it to an OpenTelemetry {@link
 * LogRecordExporter}, so any log exporter (OTLP, logging, a vendor's) plugs in as it is: the logs
 * counterpart of {@link SpanExporterSink}, with the same identity and failure rules. Every resource
 * gets the guest's {@linkplain OtlpBatch#identity() identity}, replacing payload attributes under
 * {@code spantransport.peer.}.
 *
 * <p>Decoding uses opentelemetry-proto's generated classes on the calling (receiver) thread; it is
 * not the span path, and a receiver only builds these batches when a log sink is configured. Needs
 * {@code opentelemetry-proto}, {@code protobuf-java} and {@code opentelemetry-sdk-logs} on the
 * class path (optional dependencies of this module; {@code transport-vsock} brings them).
 *
 * <p>A payload that cannot be decoded, or an exporter that throws or fails with {@link
 * BatchRejectedException}, refuses the batch for good; any other failure makes the guest resend.
 */
public final class LogRecordExporterSink implements LogSink {

  private static final RateLimitedLogger logger =
      new RateLimitedLogger(Logger.getLogger(LogRecordExporterSink.class.getName()), 5, 60_000);

  private final LogRecordExporter exporter;
  private final AtomicBoolean shutdown = new AtomicBoolean();

  private LogRecordExporterSink(LogRecordExporter exporter) {
    this.exporter = exporter;
  }

  /**
   * Returns a sink that exports through {@code exporter}.
   *
   * @param exporter the exporter to hand decoded log records to; shut down with the sink
   * @return a new sink
   */
  public static LogRecordExporterSink create(LogRecordExporter exporter) {
    return new LogRecordExporterSink(Objects.requireNonNull(exporter, "exporter"));
  }

  /** Decodes the batch, tags it with the guest identity and exports it. */
  @Override
  public CompletableResultCode accept(LogBatch batch) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    return ExporterHandOff.export(
        batch,
        "logs",
        b ->
            ProtoSignals.logs(
                ExportLogsServiceRequest.parseFrom(ProtoSignals.payload(b)), b.identity()),
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
    return "LogRecordExporterSink{exporter=" + exporter + "}";
  }
}
