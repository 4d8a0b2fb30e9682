package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.SessionId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guests that break: a frame cut in half, a guest JVM SIGKILLed mid-stream, a half-open connection,
 * a connection that never says anything. Each time the receiver frees the connection and a
 * well-behaved guest still delivers an exact count.
 */
class BrokenGuestTest {

  static final int K = 5_000;
  static final Duration TIMEOUT = Duration.ofSeconds(1);
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  Path socket;
  SpanLedger ledger;

  @BeforeEach
  void setUp() {
    socket = dir.resolve("host.sock");
    ledger = new SpanLedger();
  }

  private SpanReceiver receiver() {
    return Receivers.start(
        Receivers.builder(socket, new LedgerSink(ledger))
            .setHandshakeTimeout(TIMEOUT)
            .setIdleTimeout(TIMEOUT));
  }

  /** A real guest delivers spans [first, first + K); the sink must then hold exactly those. */
  private void wellBehavedGuestDelivers(long first) throws InterruptedException {
    try (Guests guest = new Guests(Guests.fastBuilder(socket))) {
      for (long i = first; i < first + K; i += 500) {
        assertTrue(guest.exporter.export(TestSpans.batch(i, 500)).isSuccess());
      }
      assertTrue(guest.flushFully(WAIT), "well-behaved guest could not flush");
      assertEquals(0, guest.dropped());
    }
    assertEquals(K, ledger.countIn(first, first + K), ledger.missing(first, first + K, 10));
  }

  @Test
  void halfASpansFrameThenCloseDeliversNothingAndFreesTheConnection() throws Exception {
    try (SpanReceiver receiver = receiver()) {
      byte[] spans = RawGuest.frame(FrameType.SPANS, 1, TestSpans.otlp(1_000_000, 100));
      try (RawGuest raw = new RawGuest(socket)) {
        assertTrue(raw.write(RawGuest.hello(SessionId.random()), WAIT));
        RawGuest.Frame hello = raw.readFrame(WAIT);
        assertNotNull(hello);
        assertEquals(FrameType.SERVER_HELLO, hello.type());
        assertTrue(raw.write(Arrays.copyOf(spans, spans.length / 2), WAIT));
      }
      assertTrue(
          Receivers.await(() -> receiver.connectionCount() == 0, WAIT),
          "receiver kept the dead connection: " + receiver.connectionCount());
      wellBehavedGuestDelivers(0);
      assertEquals(K, ledger.unique(), "the half frame must not reach the sink: " + ledger);
    }
  }

  @Test
  void guestJvmKilledMidStreamLeavesOnlyWholeBatchesAndTheReceiverServesOthers() throws Exception {
    try (SpanReceiver receiver = receiver()) {
      ChildJvm child =
          ChildJvm.start(
              GuestMain.class,
              "64m",
              Map.of(
                  "guest.endpoint",
                  "unix:" + socket,
                  "guest.first",
                  "1000000",
                  "guest.batch",
                  "100"),
              dir.resolve("guest.log"));
      try {
        child.awaitLine("STARTED", WAIT);
        assertTrue(ledger.awaitUnique(2_000, WAIT), "the guest JVM delivered nothing: " + ledger);
        child.kill();
      } finally {
        child.close();
      }
      assertTrue(
          Receivers.await(() -> receiver.connectionCount() == 0, WAIT),
          "receiver kept the killed guest's connection");
      long fromKilled = ledger.unique();
      assertEquals(0, fromKilled % 100, "a partial batch reached the sink: " + fromKilled);
      assertEquals(fromKilled, ledger.countIn(1_000_000, 1_000_000 + fromKilled), "gaps");
      wellBehavedGuestDelivers(0);
      assertEquals(
          0, ledger.duplicates() + ledger.foreign() + ledger.malformed(), ledger.toString());
    }
  }

  @Test
  void halfOpenConnectionIsClosedByTheIdleTimeoutWhileOthersDeliver() throws Exception {
    try (SpanReceiver receiver = receiver();
        RawGuest raw = new RawGuest(socket)) {
      assertTrue(raw.write(RawGuest.hello(SessionId.random()), WAIT));
      assertEquals(FrameType.SERVER_HELLO, raw.readFrame(WAIT).type());
      // from now on the raw guest neither reads nor writes, but keeps its socket open
      wellBehavedGuestDelivers(0);
      assertTrue(raw.awaitClosed(WAIT), "receiver never closed the half-open connection");
      assertTrue(Receivers.await(() -> receiver.connectionCount() == 0, WAIT));
      assertEquals(K, ledger.unique());
    }
  }

  @Test
  void connectionThatSendsNothingIsClosedByTheHandshakeTimeoutWhileOthersDeliver()
      throws Exception {
    try (SpanReceiver receiver = receiver();
        RawGuest silent = new RawGuest(socket)) {
      wellBehavedGuestDelivers(0);
      assertTrue(silent.awaitClosed(WAIT), "receiver never closed the silent connection");
      assertTrue(Receivers.await(() -> receiver.connectionCount() == 0, WAIT));
      assertEquals(K, ledger.unique());
    }
  }
}
