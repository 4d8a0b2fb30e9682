package dev.spantransport.benchmarks;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounterBuilder;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.context.Context;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * A {@link MeterProvider} that hands every increment of the exporter's {@value #ACKED} counter to a
 * callback, the moment the exporter records it, and ignores every other instrument.
 *
 * <p>Benchmarks give one to {@code VsockSpanExporterBuilder.setMeterProvider} to count spans whose
 * ACK reached the guest, through the exporter's public self-metrics, without a collection cycle (an
 * SDK reader's {@code collectAllMetrics()} per operation would cost more than the work measured).
 * The exporter records one increment per retired batch, in sequence order, on its sender thread.
 */
final class AckCounter implements MeterProvider {
  /** The exporter's counter of spans the host acknowledged. */
  static final String ACKED = "spantransport.exporter.spans.acked";

  private final LongConsumer onAcked;

  /** Calls {@code onAcked} with the span count of each acknowledged batch. */
  AckCounter(LongConsumer onAcked) {
    this.onAcked = onAcked;
  }

  @Override
  public MeterBuilder meterBuilder(String instrumentationScopeName) {
    Meter noop = MeterProvider.noop().get(instrumentationScopeName);
    return new MeterBuilder() {
      @Override
      public MeterBuilder setSchemaUrl(String schemaUrl) {
        return this;
      }

      @Override
      public MeterBuilder setInstrumentationVersion(String instrumentationScopeVersion) {
        return this;
      }

      @Override
      public Meter build() {
        return new AckMeter(noop);
      }
    };
  }

  private final class AckMeter implements Meter {
    private final Meter noop;

    AckMeter(Meter noop) {
      this.noop = noop;
    }

    @Override
    public LongCounterBuilder counterBuilder(String name) {
      return ACKED.equals(name)
          ? new AckCounterBuilder(noop.counterBuilder(name))
          : noop.counterBuilder(name);
    }

    @Override
    public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
      return noop.upDownCounterBuilder(name);
    }

    @Override
    public DoubleHistogramBuilder histogramBuilder(String name) {
      return noop.histogramBuilder(name);
    }

    @Override
    public DoubleGaugeBuilder gaugeBuilder(String name) {
      return noop.gaugeBuilder(name);
    }
  }

  private final class AckCounterBuilder implements LongCounterBuilder {
    private final LongCounterBuilder noop;

    AckCounterBuilder(LongCounterBuilder noop) {
      this.noop = noop;
    }

    @Override
    public LongCounterBuilder setDescription(String description) {
      return this;
    }

    @Override
    public LongCounterBuilder setUnit(String unit) {
      return this;
    }

    @Override
    public DoubleCounterBuilder ofDoubles() {
      return noop.ofDoubles();
    }

    @Override
    public LongCounter build() {
      return new LongCounter() {
        @Override
        public void add(long value) {
          onAcked.accept(value);
        }

        @Override
        public void add(long value, Attributes attributes) {
          onAcked.accept(value);
        }

        @Override
        public void add(long value, Attributes attributes, Context context) {
          onAcked.accept(value);
        }
      };
    }

    @Override
    public ObservableLongCounter buildWithCallback(Consumer<ObservableLongMeasurement> callback) {
      return noop.buildWithCallback(callback);
    }
  }
}
