package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No host for a stretch ({@code faults.hostAbsent.millis}) while the app ends {@code
 * faults.hostAbsent.spans} spans through the SDK's BatchSpanProcessor: nothing blocks, the
 * exporter's memory stays within its configured in-flight bytes, and once the host is back the
 * exporter's dropped counter is exactly what the sink is missing.
 */
class HostAbsentTest {

  static final long ABSENT_MILLIS = Long.getLong("faults.hostAbsent.millis", 2_000);
  static final int SPANS = Integer.getInteger("faults.hostAbsent.spans", 20_000);
  static final long MAX_INFLIGHT_BYTES = 64 * 1024;
  static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(1);

  @TempDir Path dir;

  private SpanLedger ledger;

  /** SDK spans carry random ids, so the ledger counts them as not-test spans (deduped by batch). */
  private long received() {
    return ledger.foreign();
  }

  @Test
  void appNeverBlocksMemoryIsBoundedAndDropsAreCountedExactly() throws Exception {
    Path socket = dir.resolve("host.sock");
    ledger = new SpanLedger();
    try (Guests guest =
        new Guests(
            Guests.fastBuilder(socket)
                .setTimeout(EXPORT_TIMEOUT)
                .setConnectTimeout(Duration.ofMillis(500))
                .setMaxInflightBytes(MAX_INFLIGHT_BYTES))) {
      SdkTracerProvider tracerProvider =
          SdkTracerProvider.builder()
              .addSpanProcessor(
                  BatchSpanProcessor.builder(guest.exporter)
                      .setMaxQueueSize(SPANS) // the SDK itself never drops: every loss is ours
                      .setMaxExportBatchSize(512)
                      .setScheduleDelay(Duration.ofMillis(5))
                      .setExporterTimeout(EXPORT_TIMEOUT)
                      .build())
              .build();
      Tracer tracer = tracerProvider.get("host-absent");

      // sample the exporter's in-flight bytes the whole time
      AtomicBoolean sampling = new AtomicBoolean(true);
      AtomicLong maxInflight = new AtomicLong();
      AtomicLong samples = new AtomicLong();
      Thread sampler =
          new Thread(
              () -> {
                while (sampling.get()) {
                  maxInflight.accumulateAndGet(guest.inflightBytes(), Math::max);
                  samples.incrementAndGet();
                }
              },
              "inflight-sampler");
      sampler.start();

      // the app ends SPANS spans on its own thread while no host exists
      CountDownLatch ended = new CountDownLatch(1);
      Thread app =
          new Thread(
              () -> {
                for (int i = 0; i < SPANS; i++) {
                  tracer.spanBuilder("op-" + i).startSpan().end();
                }
                ended.countDown();
              },
              "app");
      app.start();
      assertTrue(
          ended.await(30, TimeUnit.SECONDS),
          "the app's span.end() calls did not finish in 30 s without a host");

      // the SDK's flush returns within the export timeout (plus slack), it does not hang
      CompletableResultCode flush = tracerProvider.forceFlush();
      flush.join(EXPORT_TIMEOUT.toMillis() + 10_000, TimeUnit.MILLISECONDS);
      assertTrue(flush.isDone(), "forceFlush did not return without a host");

      Thread.sleep(ABSENT_MILLIS); // the host stays away for the configured stretch
      long droppedWhileAbsent = guest.dropped();

      try (SpanReceiver receiver =
          Receivers.start(Receivers.builder(socket, new LedgerSink(ledger)))) {
        assertTrue(guest.flushFully(Duration.ofSeconds(30)), "no flush after the host came back");
        sampling.set(false);
        sampler.join();
        long dropped = guest.dropped();
        long exported = guest.exported();
        System.out.printf(
            "HostAbsentTest: spans=%d absent=%dms sinkReceived=%d exporterDropped=%d"
                + " (while absent %d) exported=%d maxInflightBytes=%d/%d (%d samples)%n",
            SPANS,
            ABSENT_MILLIS,
            received(),
            dropped,
            droppedWhileAbsent,
            exported,
            maxInflight.get(),
            MAX_INFLIGHT_BYTES,
            samples.get());
        assertTrue(dropped > 0, "the window was meant to overflow: " + guest.exporter);
        assertTrue(
            maxInflight.get() <= MAX_INFLIGHT_BYTES,
            "in-flight bytes exceeded the limit: " + maxInflight.get());
        assertEquals(SPANS - received(), dropped, "spans missing at the sink vs dropped");
        assertEquals(SPANS, received() + dropped);
      } finally {
        sampling.set(false);
        tracerProvider.shutdown().join(10, TimeUnit.SECONDS);
      }
    }
  }
}
