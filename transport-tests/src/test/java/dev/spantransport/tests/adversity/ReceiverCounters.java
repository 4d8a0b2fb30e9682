package dev.spantransport.tests.adversity;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;

/** The receiver's self-metrics read back exactly, through an in-memory metric reader. */
public final class ReceiverCounters {

  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider provider =
      SdkMeterProvider.builder().registerMetricReader(reader).build();

  /** Returns the provider to give the receiver. */
  public MeterProvider meterProvider() {
    return provider;
  }

  /**
   * Sums the points of counter {@code name} whose {@code reason} attribute is {@code reason}.
   *
   * @param name e.g. {@code spantransport.receiver.rejected}
   * @param reason the reason attribute's value
   * @return the sum; 0 if never recorded
   */
  public long count(String name, String reason) {
    long total = 0;
    for (MetricData m : reader.collectAllMetrics()) {
      if (!m.getName().equals(name)) {
        continue;
      }
      for (LongPointData p : m.getLongSumData().getPoints()) {
        if (reason.equals(p.getAttributes().get(REASON))) {
          total += p.getValue();
        }
      }
    }
    return total;
  }

  /** Returns {@code spantransport.receiver.rejected} for {@code reason}. */
  public long rejected(String reason) {
    return count("spantransport.receiver.rejected", reason);
  }

  /** Returns {@code spantransport.receiver.refused} for {@code reason}. */
  public long refused(String reason) {
    return count("spantransport.receiver.refused", reason);
  }
}
