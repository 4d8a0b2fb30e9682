package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One hostile client sends random bytes and bad frames in a loop while 50 real guests deliver K
 * spans each: the 50 lose nothing and the receiver stays up. Sizes: {@code faults.garbage.guests},
 * {@code faults.garbage.spansPerGuest}, {@code faults.garbage.rounds}.
 */
class GarbageGuestTest {

  static final int GUESTS = Integer.getInteger("faults.garbage.guests", 50);
  static final int K = Integer.getInteger("faults.garbage.spansPerGuest", 2_000);
  static final int ROUNDS = Integer.getInteger("faults.garbage.rounds", 300);
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void fiftyGuestsLoseNothingWhileOneSendsGarbage() throws Exception {
    Path socket = dir.resolve("host.sock");
    SpanLedger ledger = new SpanLedger();
    AtomicLong garbageRounds = new AtomicLong();
    AtomicReference<Throwable> garbageError = new AtomicReference<>();
    List<Guests> guests = new ArrayList<>();
    try (SpanReceiver receiver =
        Receivers.start(
            Receivers.builder(socket, new LedgerSink(ledger))
                .setHandshakeTimeout(Duration.ofMillis(500)))) {
      Thread garbage =
          new Thread(
              () -> {
                SplittableRandom random = new SplittableRandom(42);
                try {
                  for (int r = 0; r < ROUNDS; r++) {
                    sendGarbage(socket, random, r);
                    garbageRounds.incrementAndGet();
                  }
                } catch (Throwable t) {
                  garbageError.set(t);
                }
              },
              "garbage");
      garbage.start();
      for (int g = 0; g < GUESTS; g++) {
        guests.add(new Guests(Guests.fastBuilder(socket)));
      }
      for (int g = 0; g < GUESTS; g++) {
        long base = (long) g * K;
        for (long i = base; i < base + K; i += 200) {
          int n = (int) Math.min(200, base + K - i);
          assertTrue(guests.get(g).exporter.export(TestSpans.batch(i, n)).isSuccess());
        }
      }
      for (Guests guest : guests) {
        assertTrue(guest.flushFully(WAIT), "a guest could not flush: " + ledger);
      }
      garbage.join(WAIT.toMillis());
      assertTrue(!garbage.isAlive(), "garbage loop did not finish");
      if (garbageError.get() != null) {
        throw new AssertionError("garbage client failed", garbageError.get());
      }
      long dropped = 0;
      for (Guests guest : guests) {
        dropped += guest.dropped();
      }
      System.out.printf(
          "GarbageGuestTest: guests=%d spans=%d received=%d garbageRounds=%d dropped=%d %s%n",
          GUESTS, (long) GUESTS * K, ledger.unique(), garbageRounds.get(), dropped, ledger);
      assertEquals(0, dropped);
      assertEquals("0 missing", ledger.missing(0, (long) GUESTS * K, 20));
      assertEquals((long) GUESTS * K, ledger.unique());
      assertEquals(0, ledger.duplicates());
      assertEquals(ROUNDS, garbageRounds.get());
      // still up: a fresh guest gets through
      try (Guests late = new Guests(Guests.fastBuilder(socket))) {
        long base = (long) GUESTS * K;
        late.exporter.export(TestSpans.batch(base, 100));
        assertTrue(late.flushFully(WAIT));
        assertEquals(100, ledger.countIn(base, base + 100));
      }
    } finally {
      for (Guests guest : guests) {
        guest.close();
      }
    }
  }

  /**
   * One hostile connection, one of several kinds by round; then waits for the receiver to close.
   */
  private static void sendGarbage(Path socket, SplittableRandom random, int round)
      throws Exception {
    try (RawGuest raw = new RawGuest(socket)) {
      // at least a header's worth: a shorter tail is a legitimately incomplete header, which the
      // receiver waits for (until its idle timeout) instead of closing
      byte[] noise = new byte[16 + random.nextInt(4096)];
      new Random(random.nextLong()).nextBytes(noise);
      Duration w = Duration.ofSeconds(10);
      switch (round % 6) {
        case 0 -> raw.write(noise, w); // pure noise
        case 1 -> { // valid magic, huge length
          byte[] h = RawGuest.frame(FrameType.SPANS, 1, new byte[0]);
          ByteBuffer.wrap(h).putInt(4, 0x7fff_fff0);
          raw.write(h, w);
          raw.write(noise, w);
        }
        case 2 -> { // hello, then noise
          raw.write(RawGuest.hello(SessionId.random()), w);
          raw.write(noise, w);
        }
        case 3 -> { // hello, then SPANS with a random payload (not OTLP), then noise
          raw.write(RawGuest.hello(SessionId.random()), w);
          raw.write(RawGuest.frame(FrameType.SPANS, 1, noise), w);
          raw.write(noise, w);
        }
        case 4 -> // SPANS before hello
            raw.write(RawGuest.frame(FrameType.SPANS, 1, TestSpans.otlp(900_000_000, 3)), w);
        default -> { // hello, SPANS with a sequence going backwards, a second hello
          SessionId s = SessionId.random();
          raw.write(RawGuest.hello(s), w);
          raw.write(RawGuest.frame(FrameType.SPANS, 5, noise), w);
          raw.write(RawGuest.frame(FrameType.SPANS, 2, noise), w);
          raw.write(RawGuest.hello(s), w);
        }
      }
      if (!raw.awaitClosed(Duration.ofSeconds(10))) {
        throw new AssertionError("receiver did not close garbage connection of round " + round);
      }
    } catch (IOException e) {
      // the receiver may reset the connection while we still write: fine
    }
  }
}
