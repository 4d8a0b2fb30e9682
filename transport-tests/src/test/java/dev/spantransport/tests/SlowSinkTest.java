package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink that completes one batch every few milliseconds, one at a time: the receiver stops reading
 * (its memory stays within budget), the guests' windows fill and they drop, counting every drop, so
 * sent = received + dropped exactly.
 */
class SlowSinkTest {

  static final int GUESTS = 4;
  static final int BATCHES = Integer.getInteger("faults.slowSink.batches", 200);
  static final int BATCH = 50;
  static final long SINK_DELAY_MICROS = 2_000;
  static final int MAX_FRAME = 64 * 1024;
  static final long BUDGET = 2L * MAX_FRAME;
  static final int READ_BUFFER = 4096;

  @TempDir Path dir;

  /** Completes batches in arrival order, each SINK_DELAY after the previous one. */
  static final class SlowSink implements SpanSink {
    final SpanLedger ledger;
    final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
    private long nextFreeNanos;

    SlowSink(SpanLedger ledger) {
      this.ledger = ledger;
    }

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      CompletableResultCode result = new CompletableResultCode();
      long delay;
      synchronized (this) {
        long now = System.nanoTime();
        nextFreeNanos = Math.max(now, nextFreeNanos) + SINK_DELAY_MICROS * 1000;
        delay = nextFreeNanos - now;
      }
      clock.schedule(
          () -> {
            ledger.record(
                batch.sessionId(),
                batch.sequence(),
                batch.buffer(),
                batch.offset(),
                batch.length());
            result.succeed();
          },
          delay,
          TimeUnit.NANOSECONDS);
      return result;
    }

    @Override
    public CompletableResultCode shutdown() {
      clock.shutdown();
      return CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void backpressureReachesGuestsMemoryStaysBoundedAndEveryLossIsCounted() throws Exception {
    Path socket = dir.resolve("host.sock");
    SpanLedger ledger = new SpanLedger();
    SlowSink sink = new SlowSink(ledger);
    List<Guests> guests = new ArrayList<>();
    try (SpanReceiver receiver =
        Receivers.start(
            Receivers.builder(socket, sink)
                .setWindow(2)
                .setMaxFrameLength(MAX_FRAME)
                .setReceiveBufferBudget(BUDGET)
                .setReadBufferSize(READ_BUFFER))) {
      AtomicBoolean sampling = new AtomicBoolean(true);
      AtomicLong maxBuffered = new AtomicLong();
      Thread sampler =
          new Thread(
              () -> {
                while (sampling.get()) {
                  maxBuffered.accumulateAndGet(receiver.bufferedBytes(), Math::max);
                }
              },
              "buffered-sampler");
      sampler.start();
      for (int g = 0; g < GUESTS; g++) {
        guests.add(
            new Guests(
                Guests.fastBuilder(socket)
                    .setMaxInflightBytes(16 * 1024)
                    .setMaxInflightBatches(8)
                    .setTimeout(Duration.ofSeconds(30))));
      }
      List<Thread> feeders = new ArrayList<>();
      for (int g = 0; g < GUESTS; g++) {
        Guests guest = guests.get(g);
        long base = (long) g * BATCHES * BATCH;
        Thread t =
            new Thread(
                () -> {
                  for (int b = 0; b < BATCHES; b++) {
                    guest.exporter.export(TestSpans.batch(base + (long) b * BATCH, BATCH));
                  }
                },
                "feeder-" + g);
        feeders.add(t);
        t.start();
      }
      for (Thread t : feeders) {
        t.join(60_000);
        assertTrue(!t.isAlive(), "export() blocked: " + t.getName());
      }
      for (Guests guest : guests) {
        assertTrue(guest.flushFully(Duration.ofSeconds(60)), "flush did not complete");
      }
      sampling.set(false);
      sampler.join();
      long bound = BUDGET + (long) GUESTS * READ_BUFFER;
      long totalDropped = 0;
      for (int g = 0; g < GUESTS; g++) {
        long base = (long) g * BATCHES * BATCH;
        long received = ledger.countIn(base, base + (long) BATCHES * BATCH);
        long dropped = guests.get(g).dropped();
        totalDropped += dropped;
        assertEquals(
            (long) BATCHES * BATCH,
            received + dropped,
            "guest " + g + ": sent != received + dropped");
      }
      System.out.printf(
          "SlowSinkTest: guests=%d sent=%d received=%d dropped=%d maxBufferedBytes=%d (bound %d)%n",
          GUESTS,
          (long) GUESTS * BATCHES * BATCH,
          ledger.unique(),
          totalDropped,
          maxBuffered.get(),
          bound);
      assertTrue(totalDropped > 0, "the slow sink never pushed back to the guests");
      assertTrue(maxBuffered.get() <= bound, "receiver held " + maxBuffered.get() + " bytes");
      assertEquals(0, ledger.duplicates());
    } finally {
      for (Guests guest : guests) {
        guest.close();
      }
    }
  }
}
