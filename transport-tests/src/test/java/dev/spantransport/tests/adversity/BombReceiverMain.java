package dev.spantransport.tests.adversity;

import dev.spantransport.forwarder.dump.TraceTreePrinter;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.tests.ReceiverConsole;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A receiver in its own (heap-capped) JVM whose sink decodes every batch into {@code SpanData}
 * ({@link SpanExporterSink}) for two exporters: one that counts what it got, and the forwarder's
 * {@code --dump-only} printer, which holds a trace's spans until it is quiet (its output is
 * discarded). Configured by {@code receiver.endpoint}. Speaks {@link ReceiverConsole}'s protocol;
 * {@code STATS} adds what the counting exporter saw and the receiver's {@code limitedEvents}.
 */
public final class BombReceiverMain {

  private BombReceiverMain() {}

  public static void main(String[] args) throws Exception {
    CountingExporter counts = new CountingExporter();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(metrics).build();
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint(System.getProperty("receiver.endpoint"))
            .addSink(
                SpanExporterSink.create(
                    SpanExporter.composite(
                        counts,
                        TraceTreePrinter.builder(new PrintStream(OutputStream.nullOutputStream()))
                            .setQuietPeriod(Duration.ofSeconds(5))
                            .build())))
            .setMeterProvider(meters)
            .setShutdownTimeout(Duration.ofSeconds(2))
            .build();
    ReceiverConsole.serve(
        receiver,
        receiver.toString(),
        stats -> {
          stats.put("bombSpans", counts.bombSpans.get());
          stats.put("bombEvents", counts.bombEvents.get());
          stats.put("bombTotalEvents", counts.bombTotalEvents.get());
          stats.put("goodSpans", counts.goodSpans.get());
          stats.put(
              "limitedEvents",
              PayloadAttacks.counter(metrics, "spantransport.receiver.limited", "events"));
        },
        () -> {});
  }

  /** Counts decoded spans: bomb spans with their kept and total events, and all other spans. */
  private static final class CountingExporter implements SpanExporter {
    final AtomicLong bombSpans = new AtomicLong();
    final AtomicLong bombEvents = new AtomicLong();
    final AtomicLong bombTotalEvents = new AtomicLong();
    final AtomicLong goodSpans = new AtomicLong();

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      for (SpanData span : spans) {
        if (span.getName().equals(PayloadAttacks.BOMB_SPAN_NAME)) {
          bombSpans.incrementAndGet();
          bombEvents.addAndGet(span.getEvents().size());
          bombTotalEvents.addAndGet(span.getTotalRecordedEvents());
        } else {
          goodSpans.incrementAndGet();
        }
      }
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
