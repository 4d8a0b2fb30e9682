package dev.spantransport.vsock.guest;

import dev.spantransport.spi.Signal;
import dev.spantransport.vsock.guest.internal.ExporterMetrics;
import dev.spantransport.vsock.guest.internal.SignalExporter;
import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.Collection;

/**
 * Sends log records from a VM guest to its host with the span-transport protocol, as LOGS frames
 * (an OTLP {@code ExportLogsServiceRequest} each).
 *
 * <p>It shares one connection, session and in-flight window with a {@link VsockSpanExporter} and a
 * {@link VsockMetricExporter} of the same process and endpoint, whichever is built first opening
 * it; so its batches are acknowledged, resent and deduplicated exactly as spans are. {@link
 * #export} never waits for the network; {@link #flush()} completes when the host has acknowledged
 * everything in the shared window. A host that did not accept logs in its hello (an older receiver,
 * or one without a log sink) never gets LOGS frames: the exporter drops those batches, counts them
 * ({@code spantransport.exporter.log_records.dropped}, reason {@code not_negotiated}) and logs it.
 *
 * @since 0.2.0
 */
public final class VsockLogRecordExporter implements LogRecordExporter {

  private final VsockLogRecordExporterBuilder config;
  private final SignalExporter<LogRecordData> exporter;

  VsockLogRecordExporter(VsockLogRecordExporterBuilder config) {
    this.config = config;
    VsockSpanExporterBuilder channel = config.channel;
    this.exporter =
        new SignalExporter<>(
            Signal.LOGS,
            channel.enabled,
            channel.channelKey(),
            () -> VsockSpanExporter.openChannel(channel, channel.opener()),
            channel.meterProviderSource(),
            LogsRequestMarshaler::create,
            record -> 1);
  }

  /** Returns a builder with the defaults (endpoint {@code vsock://2:10240}). */
  public static VsockLogRecordExporterBuilder builder() {
    return new VsockLogRecordExporterBuilder();
  }

  /** Returns a builder with this exporter's configuration. */
  public VsockLogRecordExporterBuilder toBuilder() {
    return new VsockLogRecordExporterBuilder(config);
  }

  /**
   * Puts {@code logs} into the shared in-flight window and returns at once: success when all of
   * them are in it, failure when some were dropped (window full, too large) or after shutdown.
   */
  @Override
  public CompletableResultCode export(Collection<LogRecordData> logs) {
    return exporter.export(logs);
  }

  /**
   * Returns a result that succeeds when the host acknowledged every batch in the shared window, or
   * fails at the export timeout. Fails at once after shutdown.
   */
  @Override
  public CompletableResultCode flush() {
    return exporter.flush();
  }

  /**
   * Starts shutting down and returns at once: flushes with the export timeout as deadline; the last
   * exporter of the shared connection also closes it and drops (counting) what is left. A second
   * call logs and succeeds.
   */
  @Override
  public CompletableResultCode shutdown() {
    return exporter.shutdown();
  }

  /** Returns what the shared connection is doing now; {@code DISABLED} when built disabled. */
  public ExporterState state() {
    return exporter.state();
  }

  /** Returns this exporter's counters; for tests. */
  ExporterMetrics metrics() {
    return exporter.metrics();
  }

  /** Returns the shared machinery; for tests. */
  SignalExporter<LogRecordData> signalExporter() {
    return exporter;
  }

  @Override
  public String toString() {
    return "VsockLogRecordExporter" + config.channel.toString(false);
  }
}
