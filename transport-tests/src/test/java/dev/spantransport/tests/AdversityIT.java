package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.tests.adversity.ConnectionCutter;
import dev.spantransport.tests.adversity.DeliveryAttacks;
import dev.spantransport.tests.adversity.DeliveryAttacks.Metrics;
import dev.spantransport.tests.adversity.DeliveryAttacks.OutageSink;
import dev.spantransport.tests.adversity.DeliveryAttacks.PoisonRefusingExporter;
import dev.spantransport.tests.adversity.DeliveryAttacks.SlowExporter;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on every guarantee span-transport makes, each against the real receiver (and, where the
 * guarantee is the forwarder's, the real forwarder): one test method per attack, named after it,
 * asserting exact counts. The attack fixtures live in {@code dev.spantransport.tests.adversity}.
 */
class AdversityIT {

  // 1. Identity spoofing through span, event and link attributes.

  // 2. Terminal and log injection.

  // 3. Duplicate delivery with a slow sink.

  /**
   * The sink takes longer than twice the guest's timeout for every batch, so the guest's PING
   * arrives while the host's window is full. Every one of 100,000 spans reaches the exporter
   * exactly once, in one export call per batch.
   */
  @Test
  void slowSinkBeyondGuestTimeoutDeliversEachBatchOnce(@TempDir Path dir) throws Exception {
    int spans = 100_000;
    int batch = 500;
    Duration guestTimeout = Duration.ofMillis(250);
    SlowExporter exporter = new SlowExporter(guestTimeout.multipliedBy(2).plusMillis(100));
    Path socket = dir.resolve("host.sock");
    try (SpanReceiver receiver =
            Receivers.start(Receivers.builder(socket, SpanExporterSink.create(exporter)));
        Guests guest =
            new Guests(
                Guests.fastBuilder(socket)
                    .setTimeout(guestTimeout)
                    .setMaxInflightBatches(spans / batch)
                    .setMaxInflightBytes(256L * 1024 * 1024))) {
      for (int first = 0; first < spans; first += batch) {
        guest.exporter.export(TestSpans.batch(first, batch));
      }
      boolean flushed = guest.flushFully(Duration.ofSeconds(60));
      assertEquals(0, guest.dropped(), "spans dropped by the guest");
      assertEquals(spans, exporter.deliveries.distinct(), () -> "lost: " + exporter.deliveries);
      assertEquals(0, exporter.deliveries.redelivered(), () -> "" + exporter.deliveries);
      assertEquals(spans / batch, exporter.deliveries.calls(), () -> "" + exporter.deliveries);
      assertTrue(flushed, "the guest's flush did not complete");
      assertEquals(spans, guest.acked());
    }
  }

  /**
   * The guest's connection is cut while a full window of its batches is in a slow sink; it
   * reconnects and resends them. The resends wait for the first delivery instead of reaching the
   * sink again, and the new connection acks them.
   */
  @Test
  void guestCutOffWhileItsBatchesAreInASlowSinkGetsThemAckedWithoutRedelivery(@TempDir Path dir)
      throws Exception {
    int batches = 40;
    int batch = 50;
    int window = 8;
    SlowExporter exporter = new SlowExporter(Duration.ofSeconds(1));
    Path socket = dir.resolve("host.sock");
    try (SpanReceiver receiver =
            Receivers.start(
                Receivers.builder(socket, SpanExporterSink.create(exporter)).setWindow(window));
        ConnectionCutter cutter = new ConnectionCutter(dir.resolve("relay.sock"), socket);
        Guests guest = new Guests(Guests.fastBuilder(dir.resolve("relay.sock")))) {
      for (int b = 0; b < batches; b++) {
        guest.exporter.export(TestSpans.batch((long) b * batch, batch));
      }
      assertTrue(exporter.awaitExports(window, Duration.ofSeconds(30)), "the window never filled");
      assertEquals(2, cutter.cutAll(), "one relayed connection, both ends");
      boolean flushed = guest.flushFully(Duration.ofSeconds(60));
      assertEquals(batches * batch, exporter.deliveries.distinct(), () -> "" + exporter.deliveries);
      assertEquals(0, exporter.deliveries.redelivered(), () -> "" + exporter.deliveries);
      assertEquals(batches, exporter.deliveries.calls(), () -> "" + exporter.deliveries);
      assertTrue(flushed, "the guest's flush did not complete");
      assertEquals((long) batches * batch, guest.acked());
      assertTrue(guest.metric("spantransport.exporter.reconnects") >= 1, "the guest reconnected");
    }
  }

  // 4. Connections leaked after SINK_UNAVAILABLE with a full window.

  /**
   * Ten collector outages under load, each lasting until every guest's window is full of batches
   * hanging in the sink, then failing them all. Afterwards the receiver holds exactly one
   * connection and one base read buffer per guest, and nothing once the guests are gone.
   */
  @Test
  void collectorOutagesWithEveryWindowFullLeakNoConnectionOrBuffer(@TempDir Path dir)
      throws Exception {
    int guestCount = 4;
    int window = 4;
    int readBuffer = 4096;
    int outages = 10;
    Path socket = dir.resolve("host.sock");
    OutageSink sink = new OutageSink();
    List<Guests> guests = new ArrayList<>();
    List<Thread> feeders = new ArrayList<>();
    AtomicBoolean feeding = new AtomicBoolean(true);
    AtomicLong handed = new AtomicLong();
    try (SpanReceiver receiver =
        Receivers.start(
            Receivers.builder(socket, sink).setWindow(window).setReadBufferSize(readBuffer))) {
      for (int g = 0; g < guestCount; g++) {
        Guests guest = new Guests(Guests.fastBuilder(socket).setTimeout(Duration.ofSeconds(1)));
        guests.add(guest);
        long base = g * 100_000_000L;
        Thread t =
            new Thread(
                () -> {
                  long next = base;
                  while (feeding.get()) {
                    guest.exporter.export(TestSpans.batch(next, 20));
                    handed.addAndGet(20);
                    next += 20;
                    try {
                      Thread.sleep(2); // pacing only: a steady stream, not a busy loop
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                },
                "feeder-" + g);
        feeders.add(t);
        t.start();
      }
      for (int outage = 1; outage <= outages; outage++) {
        int before = sink.deliveredBatches();
        assertTrue(
            sink.awaitDeliveredBatchesAbove(before, Duration.ofSeconds(30)),
            "no batch delivered before outage " + outage);
        sink.goDown();
        assertTrue(
            sink.awaitHeld(guestCount * window, Duration.ofSeconds(30)),
            "outage " + outage + ": not every window filled");
        sink.comeBack();
      }
      feeding.set(false);
      for (Thread t : feeders) {
        t.join(10_000);
      }
      for (Guests guest : guests) {
        assertTrue(guest.flushFully(Duration.ofSeconds(60)), "a guest's flush did not complete");
      }
      long acked = 0;
      long dropped = 0;
      for (Guests guest : guests) {
        acked += guest.acked();
        dropped += guest.dropped();
      }
      assertEquals(handed.get(), acked + dropped, "every span is acked or counted as dropped");
      assertEquals(acked, sink.deliveredSpans(), "every acked span reached the sink");
      assertTrue(
          Receivers.await(() -> receiver.connectionCount() == guestCount, Duration.ofSeconds(10)),
          () -> "open connections: " + receiver.connectionCount() + ", guests: " + guestCount);
      assertTrue(
          Receivers.await(
              () -> receiver.bufferedBytes() == (long) guestCount * readBuffer,
              Duration.ofSeconds(10)),
          () -> "buffered bytes: " + receiver.bufferedBytes());
      for (Guests guest : guests) {
        guest.close();
      }
      guests.clear();
      assertTrue(
          Receivers.await(() -> receiver.connectionCount() == 0, Duration.ofSeconds(10)),
          () -> "open connections after the guests left: " + receiver.connectionCount());
      assertTrue(
          Receivers.await(() -> receiver.bufferedBytes() == 0, Duration.ofSeconds(10)),
          () -> "buffered bytes after the guests left: " + receiver.bufferedBytes());
      assertEquals(0, sink.redeliveries(), "a batch reached the collector twice");
    } finally {
      feeding.set(false);
      for (Guests guest : guests) {
        guest.close();
      }
    }
  }

  // 5. Permanent rejection resent forever.

  /**
   * A sink refuses for good the one batch holding a span named {@code poison}, the first of twenty.
   * That batch is dropped once, counted with its reason by the receiver and by the guest, and each
   * of the 199 good spans behind it is delivered once.
   */
  @Test
  void poisonBatchIsRejectedOnceAndTheBatchesBehindItAreDelivered(@TempDir Path dir)
      throws Exception {
    PoisonRefusingExporter exporter = new PoisonRefusingExporter("poison");
    Path socket = dir.resolve("host.sock");
    try (Metrics hostMetrics = new Metrics();
        Metrics guestMetrics = new Metrics();
        SpanReceiver receiver =
            Receivers.start(
                Receivers.builder(socket, SpanExporterSink.create(exporter))
                    .setMeterProvider(hostMetrics.provider))) {
      VsockSpanExporter guest =
          Guests.fastBuilder(socket).setMeterProvider(guestMetrics.provider).build();
      try {
        SpanData poison =
            new DelegatingSpanData(TestSpans.span(0)) {
              @Override
              public String getName() {
                return "poison";
              }
            };
        guest.export(List.of(poison));
        for (int first = 1; first < 200; first += 10) {
          guest.export(TestSpans.batch(first, Math.min(10, 200 - first)));
        }
        exporter.deliveries.awaitDistinct(199, Duration.ofSeconds(30));
        boolean flushed = DeliveryAttacks.flushFully(guest, Duration.ofSeconds(10));
        assertEquals(199, exporter.deliveries.distinct(), () -> "" + exporter.deliveries);
        assertEquals(199, exporter.deliveries.spans(), () -> "" + exporter.deliveries);
        assertEquals(1, exporter.refusals(), "the poison batch reached the sink more than once");
        assertEquals(
            1,
            hostMetrics.sum("spantransport.receiver.rejected", "sink_rejected"),
            "receiver's count of refused batches");
        assertEquals(
            1,
            guestMetrics.sum("spantransport.exporter.spans.dropped", null),
            "guest's dropped spans");
        assertEquals(
            1,
            guestMetrics.sum("spantransport.exporter.spans.dropped", "sink_rejected"),
            "guest's drop reason for the poison span");
        assertEquals(199, guestMetrics.sum("spantransport.exporter.spans.acked", null));
        assertTrue(flushed, "the guest's flush did not complete");
      } finally {
        guest.shutdown().join(10, TimeUnit.SECONDS);
      }
    }
  }

  // 6. Slow loris.

  // 7. One VM takes every connection.

  // 8. Decode bombs.

  // 9. Socket-file permission race.

  // 10. Sustained load.

}
