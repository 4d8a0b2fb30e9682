package dev.spantransport.tests.adversity;

import dev.spantransport.forwarder.dump.TraceTreePrinter;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A receiver in its own (heap-capped) JVM whose sink decodes every batch into {@code SpanData}
 * ({@link SpanExporterSink}) for two exporters: one that counts what it got, and the forwarder's
 * {@code --dump-only} printer, which holds a trace's spans until it is quiet (its output is
 * discarded). Configured by {@code receiver.endpoint}. Prints {@code READY} once listening; on
 * {@code stats} from stdin one {@code STATS key=value ...} line; on {@code exit} (or end of stdin)
 * it shuts down.
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
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      System.out.println("FAILED to start " + receiver);
      System.exit(2);
    }
    System.out.println("READY " + receiver);
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("stats")) {
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            heapPeak += pool.getPeakUsage().getUsed();
          }
        }
        System.out.println(
            "STATS connections="
                + receiver.connectionCount()
                + " bombSpans="
                + counts.bombSpans.get()
                + " bombEvents="
                + counts.bombEvents.get()
                + " bombTotalEvents="
                + counts.bombTotalEvents.get()
                + " goodSpans="
                + counts.goodSpans.get()
                + " limitedEvents="
                + PayloadAttacks.counter(metrics, "spantransport.receiver.limited", "events")
                + " heapPeak="
                + heapPeak
                + " heapMax="
                + Runtime.getRuntime().maxMemory());
        System.out.flush();
      } else if (line.equals("exit")) {
        break;
      }
    }
    receiver.close();
    System.exit(0);
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
