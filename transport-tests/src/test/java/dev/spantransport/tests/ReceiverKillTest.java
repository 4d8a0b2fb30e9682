package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A receiver in its own JVM is SIGKILLed and restarted N times while one guest streams M spans; its
 * sink forwards to a durable sink in this JVM that dedupes by (session id, sequence). Sizes: {@code
 * faults.kill.restarts} (N), {@code faults.kill.spans} (M).
 */
class ReceiverKillTest {

  static final int RESTARTS = Integer.getInteger("faults.kill.restarts", 20);
  static final int SPANS = Integer.getInteger("faults.kill.spans", 200_000);
  static final int BATCH = 512;
  static final long EXPORT_TIMEOUT_MILLIS = Long.getLong("faults.kill.exportTimeoutMillis", 500);

  @TempDir Path dir;

  @Test
  void everySpanArrivesExactlyOnceAcrossReceiverKills() throws Exception {
    long started = System.nanoTime();
    Path socket = dir.resolve("receiver.sock");
    Path log = dir.resolve("receiver.log");
    Map<String, String> props =
        Map.of("receiver.endpoint", "unix:" + socket, "receiver.forward", dir + "/sink.sock");
    SpanLedger ledger = new SpanLedger();
    AtomicLong exportFailures = new AtomicLong();
    AtomicReference<Throwable> feederError = new AtomicReference<>();
    try (DurableSink sink = new DurableSink(dir.resolve("sink.sock"), ledger);
        Guests guest =
            new Guests(
                Guests.fastBuilder(socket)
                    .setTimeout(Duration.ofMillis(EXPORT_TIMEOUT_MILLIS))
                    .setMaxInflightBatches(64)
                    .setMaxInflightBytes(64L * 1024 * 1024))) {
      ChildJvm receiver = ChildJvm.start(ReceiverMain.class, "128m", props, log);
      receiver.awaitLine("READY", Duration.ofSeconds(60));
      Thread feeder =
          new Thread(
              () -> {
                try {
                  for (long i = 0; i < SPANS; i += BATCH) {
                    int n = (int) Math.min(BATCH, SPANS - i);
                    if (!guest.exporter.export(TestSpans.batch(i, n)).isSuccess()) {
                      exportFailures.addAndGet(n);
                    }
                    // keep at most 16 batches in flight: the app pauses at flush, never drops
                    if ((i / BATCH) % 16 == 15 && !guest.flushFully(Duration.ofMinutes(2))) {
                      throw new AssertionError("no flush within 2 minutes at span " + i);
                    }
                  }
                } catch (Throwable t) {
                  feederError.set(t);
                }
              },
              "feeder");
      feeder.start();
      int kills = 0;
      for (int k = 1; k <= RESTARTS; k++) {
        long target = (long) SPANS * k / (RESTARTS + 1);
        assertTrue(
            ledger.awaitUnique(target, Duration.ofMinutes(2)),
            () -> "sink stalled before kill " + ledger + " " + guest.exporter);
        long t0 = System.nanoTime();
        receiver.kill();
        kills++;
        long t1 = System.nanoTime();
        receiver = ChildJvm.start(ReceiverMain.class, "128m", props, log);
        receiver.awaitLine("READY", Duration.ofSeconds(60));
        long t2 = System.nanoTime();
        if (System.getProperty("faults.debug") != null) {
          System.out.printf(
              "kill %d at %d spans: kill %.0f ms, restart %.0f ms%n",
              k, ledger.unique(), (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
      }
      feeder.join(Duration.ofMinutes(5).toMillis());
      assertTrue(!feeder.isAlive(), "feeder did not finish in 5 minutes: " + ledger);
      if (feederError.get() != null) {
        throw new AssertionError("feeder failed", feederError.get());
      }
      assertTrue(guest.flushFully(Duration.ofMinutes(1)), () -> "final flush failed: " + ledger);
      receiver.close();
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf(
          "ReceiverKillTest: kills=%d spans=%d unique=%d rawBatches=%d redeliveries=%d"
              + " (%d spans) truncatedRecords=%d exporterDropped=%d time=%.1fs%n",
          kills,
          SPANS,
          ledger.unique(),
          ledger.rawBatches(),
          ledger.redeliveries(),
          ledger.redeliveredSpans(),
          sink.truncated(),
          guest.dropped(),
          seconds);
      assertEquals(RESTARTS, kills);
      assertEquals(0, exportFailures.get(), "spans the exporter refused");
      assertEquals(0, guest.dropped(), "spans the exporter dropped");
      assertEquals("0 missing", ledger.missing(0, SPANS, 20));
      assertEquals(SPANS, ledger.unique());
      assertEquals(0, ledger.duplicates(), "spans delivered twice after (session, seq) dedupe");
      assertEquals(0, ledger.foreign() + ledger.malformed(), "foreign or malformed spans");
    }
  }
}
