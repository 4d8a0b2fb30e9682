package dev.spantransport.vsock.host;

import static dev.spantransport.vsock.host.TestGuest.ACK;
import static dev.spantransport.vsock.host.TestGuest.ERROR;
import static dev.spantransport.vsock.host.TestGuest.PONG;
import static dev.spantransport.vsock.host.TestGuest.otlp;
import static dev.spantransport.vsock.host.TestGuest.spans;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.host.TestGuest.Frame;
import dev.spantransport.vsock.host.TestSinks.HoldingSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Effectively-once delivery when sinks are slow or fail: control frames under a full window, a
 * resend on a new connection while the first delivery is still in the sinks, connections that stay
 * readable after SINK_UNAVAILABLE, and a sink's permanent refusal (BATCH_REJECTED).
 */
class SpanReceiverDeliveryTest {

  private static final int SINK_UNAVAILABLE = 7;
  private static final int BATCH_REJECTED = 10;
  private static final int WINDOW = 2;
  private static final int READ_BUFFER = 4096;

  @TempDir Path dir;

  private SpanReceiver receiver;

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown().join(20, TimeUnit.SECONDS);
    }
  }

  private Path socket() {
    return dir.resolve("r.sock");
  }

  private SpanReceiver start(SpanSink sink) {
    receiver =
        SpanReceiver.builder()
            .addEndpoint(TestEndpoints.unix(socket()))
            .addSink(sink)
            .setWindow(WINDOW)
            .setReadBufferSize(READ_BUFFER)
            .build();
    assertTrue(receiver.start().isSuccess(), "receiver did not start");
    return receiver;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Refuses for good the batches whose sequence is listed; accepts and records the others. */
  static final class RefusingSink implements SpanSink {
    final List<Long> refused = new CopyOnWriteArrayList<>();
    final List<Long> accepted = new CopyOnWriteArrayList<>();
    final List<Long> refuse;

    RefusingSink(List<Long> refuse) {
      this.refuse = refuse;
    }

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      if (refuse.contains(batch.sequence())) {
        refused.add(batch.sequence());
        return CompletableResultCode.ofExceptionalFailure(
            new BatchRejectedException("HTTP 400: bad batch " + batch.sequence()));
      }
      accepted.add(batch.sequence());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void pingIsAnsweredWhileEverySlotOfTheWindowIsInTheSinks() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(sink);
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(1, 1);
      guest.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      HoldingSink.Held first = sink.await();
      HoldingSink.Held second = sink.await();

      guest.send(TestGuest.ping(42));

      Frame pong = guest.next();
      assertNotNull(pong, "no PONG while the window is full");
      assertEquals(PONG, pong.type());
      assertEquals(42, pong.sequence());
      first.result().succeed();
      second.result().succeed();
      assertEquals(2, guest.awaitAck(2).sequence());
    }
  }

  @Test
  void spansFrameBeyondTheWindowWaitsUnreadAndIsDeliveredWhenASlotFrees() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(sink);
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(2, 2);
      guest.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      HoldingSink.Held first = sink.await();
      sink.await().result().succeed();
      guest.send(spans(3, otlp(1))).send(TestGuest.ping(9));
      // Batch 2 is done but batch 1 holds the window's head: batch 3 does not fit yet, and the
      // PING behind it waits with it.
      assertEquals(0, sink.held.size());
      first.result().succeed();
      assertEquals(2, guest.awaitAck(2).sequence());
      HoldingSink.Held third = sink.await();
      assertEquals(3, third.seen().sequence());
      third.result().succeed();
      assertEquals(3, guest.awaitAck(3).sequence());
    }
  }

  @Test
  void resendOnANewConnectionWaitsForTheBatchStillInTheSinksAndReachesTheSinkOnce()
      throws Exception {
    HoldingSink sink = new HoldingSink();
    start(sink);
    List<HoldingSink.Held> firstConnection = new ArrayList<>();
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(3, 3);
      guest.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      firstConnection.add(sink.await());
      firstConnection.add(sink.await());
    } // the guest gave up on this connection (its PING timed out) and hangs up
    await(() -> receiver.connectionCount() == 0, "the first connection, window full, is closed");
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(0, again.handshake(3, 3).sequence(), "nothing is acked yet");
      again.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      // Batches 1 and 2 wait for their first delivery; they take this connection's window.
      for (HoldingSink.Held held : firstConnection) {
        held.result().succeed();
      }
      assertEquals(2, again.awaitAck(2).sequence(), "the new connection acks the first delivery");
      again.send(spans(3, otlp(1)));
      HoldingSink.Held third = sink.await();
      assertEquals(3, third.seen().sequence());
      third.result().succeed();
      assertEquals(3, again.awaitAck(3).sequence());
    }
    assertEquals(0, sink.held.size(), "batches 1 and 2 reached the sink once each");
  }

  @Test
  void resendWaitingForAFailedFirstDeliveryGetsSinkUnavailable() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(sink);
    HoldingSink.Held held;
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(4, 4);
      guest.send(spans(1, otlp(1)));
      held = sink.await();
    }
    await(() -> receiver.connectionCount() == 0, "the first connection is closed");
    try (TestGuest again = TestGuest.connect(socket())) {
      again.handshake(4, 4);
      again.send(spans(1, otlp(1)));
      again.send(TestGuest.ping(1));
      assertEquals(PONG, again.next().type(), "batch 1 was read and waits");
      held.result().fail();
      Frame error = again.next();
      assertNotNull(error);
      assertEquals(ERROR, error.type());
      assertEquals(SINK_UNAVAILABLE, error.errorCode());
      assertEquals(1, error.sequence());
    }
    try (TestGuest third = TestGuest.connect(socket())) {
      assertEquals(0, third.handshake(4, 4).sequence());
      third.send(spans(1, otlp(1)));
      HoldingSink.Held resent = sink.await();
      assertEquals(1, resent.seen().sequence(), "a failed batch reaches the sink again");
      resent.result().succeed();
      assertEquals(1, third.awaitAck(1).sequence());
    }
  }

  @Test
  void afterSinkUnavailableWithAFullWindowTheConnectionReadsOnAndFreesEverythingAtItsEnd()
      throws Exception {
    HoldingSink sink = new HoldingSink();
    start(sink);
    long baseline = receiver.bufferedBytes();
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(5, 5);
      guest.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      HoldingSink.Held first = sink.await();
      HoldingSink.Held second = sink.await();
      first.result().fail();
      second.result().succeed(); // delivered, but not acked: batch 1 before it failed
      Frame error = guest.next();
      assertNotNull(error);
      assertEquals(ERROR, error.type());
      assertEquals(SINK_UNAVAILABLE, error.errorCode());
      assertEquals(1, error.sequence());
      guest.send(TestGuest.ping(6));
      Frame pong = guest.next();
      assertNotNull(pong, "the connection still reads after SINK_UNAVAILABLE");
      assertEquals(PONG, pong.type());
    }
    await(() -> receiver.connectionCount() == 0, "the refused connection sees its end and closes");
    await(() -> receiver.bufferedBytes() == 0, "its buffers return to the budget");
    assertEquals(0, baseline, "nothing was buffered before the guest came");
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(0, again.handshake(5, 5).sequence());
      again.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      HoldingSink.Held resent = sink.await();
      assertEquals(1, resent.seen().sequence());
      resent.result().succeed();
      assertEquals(2, again.awaitAck(2).sequence(), "batch 2 counts as delivered already");
    }
    assertEquals(0, sink.held.size(), "batch 2 reached the sink once");
  }

  @Test
  void sinkRefusingABatchForGoodGetsBatchRejectedAndTheBatchesBehindItAreAcked() throws Exception {
    RefusingSink sink = new RefusingSink(List.of(2L));
    start(sink);
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(6, 6);
      guest.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      List<Frame> errors = new ArrayList<>();
      long acked = 0;
      while (acked < 2) {
        Frame f = guest.next();
        assertNotNull(f, () -> "no ACK 2; errors so far " + errors);
        if (f.type() == ERROR) {
          assertTrue(acked < f.sequence(), "the ERROR comes before the ACK covering its batch");
          errors.add(f);
        } else {
          assertEquals(ACK, f.type(), () -> "unexpected " + f);
          acked = f.sequence();
        }
      }
      assertEquals(1, errors.size(), () -> "" + errors);
      assertEquals(BATCH_REJECTED, errors.get(0).errorCode());
      assertEquals(2, errors.get(0).sequence());
      assertFalse(errors.get(0).fatal(), "a permanent refusal is not fatal");
      assertTrue(errors.get(0).message().contains("HTTP 400"), errors.get(0).message());
      guest.send(spans(3, otlp(1)));
      assertEquals(3, guest.awaitAck(3).sequence(), "the batches behind it flow");
    }
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(3, again.handshake(6, 6).sequence(), "the refused batch counts as done");
    }
    assertEquals(List.of(2L), sink.refused);
    assertEquals(List.of(1L, 3L), sink.accepted);
  }
}
