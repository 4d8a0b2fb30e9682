package dev.spantransport.vsock.guest.internal;

import dev.spantransport.vsock.guest.ExporterState;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The exporter's self-metrics: exact counters kept in memory, mirrored to OpenTelemetry instruments
 * when a {@link MeterProvider} is configured. The instruments are created on first use, from the
 * first provider the supplier returns, so an exporter built before its SDK (as autoconfiguration
 * does) reports to the SDK's provider once it exists.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class ExporterMetrics {

  /** Why spans were dropped. */
  public enum DropReason {
    /** The in-flight window was full (which batch went depends on the full-buffer policy). */
    BUFFER_FULL("buffer_full"),
    /** One span alone was larger than a frame or the window may be. */
    TOO_LARGE("too_large"),
    /** The host rejected the batch for good (malformed payload, too many spans). */
    REJECTED("rejected"),
    /** A sink on the host refused the batch for good (BATCH_REJECTED, e.g. HTTP 400 or 413). */
    SINK_REJECTED("sink_rejected"),
    /** The host refused the batch (SINK_UNAVAILABLE) more often than the exporter allows. */
    REFUSAL_LIMIT("refusal_limit"),
    /** The encoder failed on the batch. */
    ENCODE_FAILED("encode_failed"),
    /** The exporter shut down before the host acknowledged the batch. */
    SHUTDOWN("shutdown"),
    /** The exporter was built disabled: nothing leaves the guest. */
    DISABLED("disabled"),
    /**
     * The host did not accept this signal's capability in its hello (an older or span-only host).
     */
    NOT_NEGOTIATED("not_negotiated");

    final String value;

    DropReason(String value) {
      this.value = value;
    }
  }

  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");
  private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
  private static final ExporterState[] STATES = ExporterState.values();
  private static final String SCOPE = "dev.spantransport.vsock.guest";

  private final AtomicLong exported = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong resent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong[] dropped = new AtomicLong[DropReason.values().length];
  private final Attributes[] dropAttributes = new Attributes[DropReason.values().length];

  private final Supplier<MeterProvider> meterProvider;
  private final LongSupplier inflightSpans;
  private final LongSupplier inflightBytes;
  private volatile Supplier<ExporterState> state = () -> null;
  private volatile Instruments instruments; // null until the supplier returned a provider
  private final String item;
  private final String unit;

  /**
   * Creates the metrics; {@code inflightSpans} and {@code inflightBytes} feed the in-flight gauges.
   *
   * @param meterProvider asked on each recording until it returns a provider, never after
   */
  public ExporterMetrics(
      Supplier<MeterProvider> meterProvider,
      LongSupplier inflightSpans,
      LongSupplier inflightBytes) {
    for (DropReason r : DropReason.values()) {
      dropped[r.ordinal()] = new AtomicLong();
      dropAttributes[r.ordinal()] = Attributes.of(REASON, r.value);
    }
    this.meterProvider = meterProvider;
    this.inflightSpans = inflightSpans;
    this.inflightBytes = inflightBytes;
    this.item = "spans";
    this.unit = "{span}";
  }

  /**
   * Creates the item counters of another signal sharing a span exporter's connection: {@code
   * spantransport.exporter.<item>.exported}, {@code .acked}, {@code .resent}, {@code .dropped}. The
   * connection's own instruments (bytes, reconnects, in-flight, state) stay with the channel's span
   * metrics.
   *
   * @param item e.g. {@code log_records}
   * @param unit e.g. {@code {log_record}}
   */
  public ExporterMetrics(Supplier<MeterProvider> meterProvider, String item, String unit) {
    for (DropReason r : DropReason.values()) {
      dropped[r.ordinal()] = new AtomicLong();
      dropAttributes[r.ordinal()] = Attributes.of(REASON, r.value);
    }
    this.meterProvider = meterProvider;
    this.inflightSpans = null;
    this.inflightBytes = null;
    this.item = item;
    this.unit = unit;
  }

  /**
   * Sets where the {@code spantransport.exporter.state} gauge reads the exporter's state: 1 for the
   * current state, 0 for the others, one series per state.
   */
  public void setStateSource(Supplier<ExporterState> state) {
    this.state = state;
  }

  /** Records that the exporter changed state, so the state gauge exists from the first change. */
  public void stateChanged() {
    instruments();
  }

  /** Returns the instruments, creating them once a provider is available; null until then. */
  private Instruments instruments() {
    Instruments i = instruments;
    if (i != null) {
      return i;
    }
    MeterProvider provider = meterProvider.get();
    if (provider == null) {
      return null;
    }
    synchronized (this) {
      if (instruments == null) {
        instruments =
            new Instruments(
                provider.get(SCOPE), item, unit, inflightSpans, inflightBytes, () -> state.get());
      }
      return instruments;
    }
  }

  /** The OpenTelemetry instruments, created together from one meter. */
  private static final class Instruments {
    final LongCounter exportedCounter;
    final LongCounter ackedCounter;
    final LongCounter resentCounter;
    final LongCounter droppedCounter;
    final LongCounter bytesCounter;
    final LongCounter reconnectsCounter;

    final Attributes[] stateAttributes = new Attributes[STATES.length];

    Instruments(
        Meter meter,
        String item,
        String unit,
        LongSupplier inflightSpans,
        LongSupplier inflightBytes,
        Supplier<ExporterState> state) {
      for (ExporterState s : STATES) {
        stateAttributes[s.ordinal()] =
            Attributes.of(STATE, s.name().toLowerCase(java.util.Locale.ROOT));
      }
      exportedCounter =
          meter
              .counterBuilder("spantransport.exporter." + item + ".exported")
              .setDescription(
                  "Items (" + item + ") handed to the exporter and accepted into the window")
              .setUnit(unit)
              .build();
      ackedCounter =
          meter
              .counterBuilder("spantransport.exporter." + item + ".acked")
              .setDescription("Items (" + item + ") the host acknowledged")
              .setUnit(unit)
              .build();
      resentCounter =
          meter
              .counterBuilder("spantransport.exporter." + item + ".resent")
              .setDescription("Items (" + item + ") sent again after a reconnect")
              .setUnit(unit)
              .build();
      droppedCounter =
          meter
              .counterBuilder("spantransport.exporter." + item + ".dropped")
              .setDescription("Items (" + item + ") dropped, by reason")
              .setUnit(unit)
              .build();
      if (inflightSpans == null) {
        bytesCounter = null;
        reconnectsCounter = null;
        return; // the connection's instruments belong to the channel's span metrics
      }
      bytesCounter =
          meter
              .counterBuilder("spantransport.exporter.bytes.sent")
              .setDescription("Bytes of SPANS frames written to the connection")
              .setUnit("By")
              .build();
      reconnectsCounter =
          meter
              .counterBuilder("spantransport.exporter.reconnects")
              .setDescription("Successful connections after the first one")
              .setUnit("{connection}")
              .build();
      meter
          .gaugeBuilder("spantransport.exporter.inflight.spans")
          .ofLongs()
          .setDescription("Spans in the in-flight window, not yet acknowledged")
          .setUnit("{span}")
          .buildWithCallback(m -> m.record(inflightSpans.getAsLong()));
      meter
          .gaugeBuilder("spantransport.exporter.inflight.bytes")
          .ofLongs()
          .setDescription("Bytes in the in-flight window, not yet acknowledged")
          .setUnit("By")
          .buildWithCallback(m -> m.record(inflightBytes.getAsLong()));
      meter
          .gaugeBuilder("spantransport.exporter.state")
          .ofLongs()
          .setDescription("The exporter's state: 1 for the current one, 0 for the others")
          .setUnit("1")
          .buildWithCallback(
              m -> {
                ExporterState current = state.get();
                if (current == null) {
                  return;
                }
                for (int i = 0; i < STATES.length; i++) {
                  m.record(current.ordinal() == i ? 1 : 0, stateAttributes[i]);
                }
              });
    }
  }

  void exported(int spans) {
    exported.addAndGet(spans);
    Instruments i = instruments();
    if (i != null) {
      i.exportedCounter.add(spans);
    }
  }

  void acked(int spans) {
    acked.addAndGet(spans);
    Instruments i = instruments();
    if (i != null) {
      i.ackedCounter.add(spans);
    }
  }

  void resent(int spans) {
    resent.addAndGet(spans);
    Instruments i = instruments();
    if (i != null) {
      i.resentCounter.add(spans);
    }
  }

  void bytesSent(int bytes) {
    bytesSent.addAndGet(bytes);
    Instruments i = instruments();
    if (i != null) {
      i.bytesCounter.add(bytes);
    }
  }

  void reconnected() {
    reconnects.incrementAndGet();
    Instruments i = instruments();
    if (i != null) {
      i.reconnectsCounter.add(1);
    }
  }

  /** Counts {@code spans} dropped for {@code reason}. */
  public void dropped(DropReason reason, int spans) {
    dropped[reason.ordinal()].addAndGet(spans);
    Instruments i = instruments();
    if (i != null) {
      i.droppedCounter.add(spans, dropAttributes[reason.ordinal()]);
    }
  }

  /** Returns the spans accepted into the window so far. */
  public long exported() {
    return exported.get();
  }

  /** Returns the spans the host acknowledged so far. */
  public long acked() {
    return acked.get();
  }

  /** Returns the spans sent more than once so far. */
  public long resent() {
    return resent.get();
  }

  /** Returns the bytes of SPANS frames written so far. */
  public long bytesSent() {
    return bytesSent.get();
  }

  /** Returns the successful connections after the first one. */
  public long reconnects() {
    return reconnects.get();
  }

  /** Returns the spans dropped for {@code reason} so far. */
  public long dropped(DropReason reason) {
    return dropped[reason.ordinal()].get();
  }

  /** Returns the spans dropped for any reason so far. */
  public long droppedTotal() {
    long total = 0;
    for (AtomicLong d : dropped) {
      total += d.get();
    }
    return total;
  }

  @Override
  public String toString() {
    StringBuilder drops = new StringBuilder();
    for (DropReason r : DropReason.values()) {
      drops.append(drops.length() == 0 ? "" : ", ").append(r.value).append('=').append(dropped(r));
    }
    return "ExporterMetrics{exported="
        + exported()
        + ", acked="
        + acked()
        + ", resent="
        + resent()
        + ", bytesSent="
        + bytesSent()
        + ", reconnects="
        + reconnects()
        + ", dropped={"
        + drops
        + "}}";
  }
}
