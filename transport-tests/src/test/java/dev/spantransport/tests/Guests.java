package dev.spantransport.tests;

import dev.spantransport.tests.adversity.DeliveryAttacks;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.guest.VsockSpanExporterBuilder;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * A real {@link VsockSpanExporter} plus an in-memory metric reader, so a test reads its exact
 * counters through the public metrics ({@code spantransport.exporter.*}).
 */
final class Guests implements AutoCloseable {

  final VsockSpanExporter exporter;
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider meters =
      SdkMeterProvider.builder().registerMetricReader(reader).build();

  /** Defaults for tests: reconnects quickly, small timeouts. */
  static VsockSpanExporterBuilder fastBuilder(Path socket) {
    return VsockSpanExporter.builder()
        .setEndpoint("unix:" + socket)
        .setConnectTimeout(Duration.ofSeconds(2))
        .setTimeout(Duration.ofSeconds(5))
        .setReconnectInitialBackoff(Duration.ofMillis(20))
        .setReconnectMaxBackoff(Duration.ofMillis(200));
  }

  Guests(VsockSpanExporterBuilder builder) {
    this.exporter = builder.setMeterProvider(meters).build();
  }

  /** Sums a counter's points, or reads a gauge's single point; 0 if not recorded yet. */
  long metric(String name) {
    long total = 0;
    Collection<MetricData> all = reader.collectAllMetrics();
    for (MetricData m : all) {
      if (!m.getName().equals(name)) {
        continue;
      }
      Collection<LongPointData> points =
          m.getType() == io.opentelemetry.sdk.metrics.data.MetricDataType.LONG_GAUGE
              ? m.getLongGaugeData().getPoints()
              : m.getLongSumData().getPoints();
      for (LongPointData p : points) {
        total += p.getValue();
      }
    }
    return total;
  }

  long dropped() {
    return metric("spantransport.exporter.spans.dropped");
  }

  long exported() {
    return metric("spantransport.exporter.spans.exported");
  }

  long acked() {
    return metric("spantransport.exporter.spans.acked");
  }

  long inflightBytes() {
    return metric("spantransport.exporter.inflight.bytes");
  }

  /** Flushes until the host acknowledged everything; false if that did not happen in time. */
  boolean flushFully(Duration timeout) {
    return DeliveryAttacks.flushFully(exporter, timeout);
  }

  @Override
  public void close() {
    // shutdown() returns at once; its result completes after the flush deadline while the host is
    // gone: wait for it, bounded, so no sender thread outlives the test
    exporter.shutdown().join(20, TimeUnit.SECONDS);
    meters.close();
  }
}
