package dev.spantransport.vsock.host;

import static dev.spantransport.vsock.host.TestGuest.ACK;
import static dev.spantransport.vsock.host.TestGuest.ERROR;
import static dev.spantransport.vsock.host.TestGuest.GOAWAY;
import static dev.spantransport.vsock.host.TestGuest.PONG;
import static dev.spantransport.vsock.host.TestGuest.otlp;
import static dev.spantransport.vsock.host.TestGuest.spans;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.vsock.host.TestGuest.Frame;
import dev.spantransport.vsock.host.TestSinks.HoldingSink;
import dev.spantransport.vsock.host.TestSinks.RecordingSink;
import dev.spantransport.vsock.host.TestSinks.Seen;
import dev.spantransport.vsock.socket.SocketFiles;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanReceiverTest {

  private static final AttributeKey<String> SOCKET_PATH =
      AttributeKey.stringKey("spantransport.peer.socket_path");

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

  private SpanReceiver start(SpanReceiverBuilder builder) {
    receiver = builder.build();
    CompletableResultCode started = receiver.start();
    assertTrue(
        started.isSuccess(), () -> "receiver did not start: " + started.getFailureThrowable());
    return receiver;
  }

  private SpanReceiverBuilder unixReceiver(Object sink) {
    SpanReceiverBuilder b = SpanReceiver.builder().addEndpoint(TestEndpoints.unix(socket()));
    b.addSink((dev.spantransport.sink.SpanSink) sink);
    return b;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }

  /** A good guest still gets through: handshake, one batch, ACK. */
  private void assertStillServing(RecordingSink sink, long session) throws Exception {
    try (TestGuest good = TestGuest.connect(socket())) {
      good.handshake(session, session);
      good.send(spans(1, otlp(2)));
      assertEquals(1, good.awaitAck(1).sequence());
    }
    assertTrue(
        sink.seen.stream().anyMatch(s -> s.sessionId().endsWith(String.format("%016x", session))));
  }

  @Test
  void deliversEveryBatchFromFiftyConcurrentGuests() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink));
    int guests = 50;
    int batches = 5;
    ExecutorService pool = Executors.newFixedThreadPool(guests);
    try {
      List<Future<Long>> done = new ArrayList<>();
      for (int g = 0; g < guests; g++) {
        long session = g + 1;
        done.add(
            pool.submit(
                () -> {
                  try (TestGuest guest = TestGuest.connect(socket())) {
                    Frame hello = guest.handshake(session, 7);
                    assertEquals(0, hello.sequence());
                    for (int s = 1; s <= batches; s++) {
                      guest.send(spans(s, otlp(3)));
                    }
                    return guest.awaitAck(batches).sequence();
                  }
                }));
      }
      for (Future<Long> f : done) {
        assertEquals(batches, f.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(guests * batches, sink.seen.size());
    Set<String> distinct = new HashSet<>();
    for (Seen s : sink.seen) {
      distinct.add(s.sessionId() + "/" + s.sequence());
      assertEquals(3, s.spanCount());
    }
    assertEquals(guests * batches, distinct.size());
  }

  @Test
  void acksOnlyAfterTheSinkAccepted() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(unixReceiver(sink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(1, 1);
      byte[] payload = otlp(4);
      guest.send(spans(1, payload));
      HoldingSink.Held held = sink.await();
      assertEquals(1, held.seen().sequence());
      assertArrayEquals(payload, held.seen().payload());
      // Prove the receiver is alive and answering while the batch is held: PING gets PONG, no ACK.
      guest.send(TestGuest.ping(99));
      Frame pong = guest.next();
      assertNotNull(pong);
      assertEquals(PONG, pong.type());
      assertEquals(99, pong.sequence());
      held.result().succeed();
      assertEquals(1, guest.awaitAck(1).sequence());
    }
  }

  @Test
  void resentBatchReachesTheSinkOnceAndIsAckedAgain() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(42, 42);
      guest.send(spans(1, otlp(1))).send(spans(2, otlp(1)));
      guest.awaitAck(2);
    }
    try (TestGuest again = TestGuest.connect(socket())) {
      Frame hello = again.handshake(42, 42);
      assertEquals(2, hello.sequence(), "SERVER_HELLO reports the last acked sequence");
      again.send(spans(2, otlp(1)));
      assertEquals(2, again.awaitAck(2).sequence());
      again.send(spans(3, otlp(1)));
      assertEquals(3, again.awaitAck(3).sequence());
    }
    assertEquals(List.of(1L, 2L, 3L), sink.seen.stream().map(Seen::sequence).toList());
  }

  @Test
  void sinkFailureSendsSinkUnavailableAndTheResendIsAcked() throws Exception {
    RecordingSink sink = new RecordingSink();
    sink.failing.set(true);
    start(unixReceiver(sink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(5, 5);
      guest.send(spans(1, otlp(1)));
      Frame error = guest.next();
      assertNotNull(error);
      assertEquals(ERROR, error.type());
      assertEquals(1, error.sequence());
      assertEquals(7, error.errorCode(), "SINK_UNAVAILABLE");
      assertFalse(error.fatal());
    }
    sink.failing.set(false);
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(0, again.handshake(5, 5).sequence());
      again.send(spans(1, otlp(1)));
      assertEquals(1, again.awaitAck(1).sequence());
    }
    assertEquals(1, sink.seen.size());
  }

  @Test
  void afterSinkUnavailableLaterBatchesOfTheConnectionDoNotReachTheSink() throws Exception {
    RecordingSink sink = new RecordingSink();
    sink.failOnce.add(2L);
    start(unixReceiver(sink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(6, 6);
      guest
          .send(spans(1, otlp(1)))
          .send(spans(2, otlp(1)))
          .send(spans(3, otlp(1)))
          .send(spans(4, otlp(1)));
      Frame f;
      while ((f = guest.next()) != null && f.type() != ERROR) {
        assertEquals(ACK, f.type(), "only ACK 1 before the ERROR");
        assertEquals(1, f.sequence(), "nothing from batch 2 on is acked");
      }
      assertNotNull(f, "no SINK_UNAVAILABLE");
      assertEquals(2, f.sequence());
      assertEquals(7, f.errorCode(), "SINK_UNAVAILABLE");
      // The guest closes after SINK_UNAVAILABLE. A PING proves batches 3 and 4 were read.
      guest.send(TestGuest.ping(7));
      Frame pong;
      while ((pong = guest.next()) != null && pong.type() != PONG) {
        assertEquals(ACK, pong.type(), () -> "unexpected frame");
        assertEquals(1, pong.sequence(), "nothing from batch 2 on is acked");
      }
      assertNotNull(pong, "no PONG");
    }
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(1, again.handshake(6, 6).sequence());
      again.send(spans(2, otlp(1))).send(spans(3, otlp(1))).send(spans(4, otlp(1)));
      assertEquals(4, again.awaitAck(4).sequence());
    }
    assertEquals(List.of(1L, 2L, 3L, 4L), sink.seen.stream().map(Seen::sequence).toList());
  }

  @Test
  void sessionOfALiveConnectionIsNotForgottenWhenTheTableIsFull() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink).setSessionTableSize(1));
    try (TestGuest a = TestGuest.connect(socket())) {
      a.handshake(21, 21);
      a.send(spans(1, otlp(1)));
      assertEquals(1, a.awaitAck(1).sequence());
      try (TestGuest b = TestGuest.connect(socket())) {
        b.handshake(22, 22); // a second session in a table of one
        b.send(spans(1, otlp(1)));
        assertEquals(1, b.awaitAck(1).sequence());
      }
      a.send(spans(2, otlp(1)));
      assertEquals(2, a.awaitAck(2).sequence());
    }
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(2, again.handshake(21, 21).sequence(), "the reconnect sees every ack");
      again.send(spans(2, otlp(1)));
      assertEquals(2, again.awaitAck(2).sequence());
    }
    assertEquals(
        2, sink.seen.stream().filter(s -> s.sessionId().endsWith("0015")).count(), "no redelivery");
  }

  @Test
  void slowSinkStopsReadingAndKeepsMemoryBounded() throws Exception {
    HoldingSink sink = new HoldingSink();
    int window = 2;
    start(
        unixReceiver(sink)
            .setWindow(window)
            .setMaxFrameLength(64 * 1024)
            .setReceiveBufferBudget(1024 * 1024));
    byte[] big = otlp(400); // tens of KiB
    try (TestGuest guest = TestGuest.connect(socket())) {
      Frame hello = guest.handshake(9, 9);
      assertEquals(window, hello.window());
      guest.send(spans(1, big)).send(spans(2, big));
      HoldingSink.Held first = sink.await();
      HoldingSink.Held second = sink.await();
      // Window full: more frames sit in the socket, not in the receiver.
      for (int s = 3; s <= 6; s++) {
        guest.send(spans(s, big));
      }
      assertNull(sink.held.poll(300, TimeUnit.MILLISECONDS), "no batch beyond the window");
      long bound = 1024 * 1024 + 16 * 1024;
      assertTrue(receiver.bufferedBytes() <= bound, () -> "buffered " + receiver.bufferedBytes());
      first.result().succeed();
      second.result().succeed();
      assertEquals(2, guest.awaitAck(2).sequence());
      for (int s = 3; s <= 6; s++) {
        HoldingSink.Held h = sink.await();
        assertEquals(s, h.seen().sequence());
        h.result().succeed();
      }
      guest.awaitAck(6);
    }
  }

  @Test
  void badMagicClosesOnlyThatConnection() throws Exception {
    assertBadInputClosesOnlyItsConnection(
        guest -> guest.send(new byte[] {0x42, 0x41, 0x44, 0x21, 0, 0, 0, 0}), false);
  }

  @Test
  void oversizedFrameClosesOnlyThatConnection() throws Exception {
    assertBadInputClosesOnlyItsConnection(
        guest -> {
          guest.handshake(77, 77);
          ByteBuffer header = TestGuest.header(TestGuest.SPANS, 1, 0);
          header.putInt(4, 512 * 1024 * 1024); // claims 512 MiB
          guest.send(header.array());
        },
        true);
  }

  @Test
  void handshakeGarbageClosesOnlyThatConnection() throws Exception {
    assertBadInputClosesOnlyItsConnection(guest -> guest.send(spans(1, otlp(1))), true);
  }

  @Test
  void malformedPayloadAndTooManySpansRejectTheBatchButKeepTheConnection() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink).setMaxSpansPerFrame(3));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(80, 80);
      guest
          .send(spans(1, otlp(1)))
          .send(spans(2, new byte[] {0x0a, 0x7f, 0x01}))
          .send(spans(3, otlp(4)))
          .send(spans(4, otlp(2)));
      List<Frame> errors = new ArrayList<>();
      long acked = 0;
      while (acked < 4) {
        Frame f = guest.next();
        assertNotNull(f, () -> "no ACK 4; errors so far " + errors);
        if (f.type() == ERROR) {
          assertTrue(acked < f.sequence(), "the ERROR comes before the ACK covering its batch");
          errors.add(f);
        } else {
          assertEquals(ACK, f.type(), () -> "unexpected " + f);
          acked = f.sequence();
        }
      }
      assertEquals(List.of(2L, 3L), errors.stream().map(Frame::sequence).toList());
      assertEquals(4, errors.get(0).errorCode(), "MALFORMED_PAYLOAD");
      assertEquals(5, errors.get(1).errorCode(), "TOO_MANY_SPANS");
      assertTrue(errors.stream().noneMatch(Frame::fatal), "per-batch rejections are not fatal");
      guest.send(spans(5, otlp(1)));
      assertEquals(5, guest.awaitAck(5).sequence(), "the connection stays open");
    }
    assertEquals(List.of(1L, 4L, 5L), sink.seen.stream().map(Seen::sequence).toList());
    try (TestGuest again = TestGuest.connect(socket())) {
      assertEquals(5, again.handshake(80, 80).sequence(), "rejected batches count as done");
    }
  }

  @Test
  void disconnectMidFrameClosesOnlyThatConnection() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink));
    try (TestGuest good = TestGuest.connect(socket())) {
      good.handshake(11, 11);
      try (TestGuest bad = TestGuest.connect(socket())) {
        bad.handshake(12, 12);
        byte[] frame = spans(1, otlp(5));
        bad.send(java.util.Arrays.copyOf(frame, frame.length / 2));
      }
      good.send(spans(1, otlp(1)));
      assertEquals(1, good.awaitAck(1).sequence());
    }
    await(() -> receiver.connectionCount() == 0, "both connections are gone");
    assertEquals(1, sink.seen.size());
  }

  @Test
  void silentConnectionIsClosedAfterTheHandshakeTimeout() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink).setHandshakeTimeout(Duration.ofMillis(200)));
    try (TestGuest silent = TestGuest.connect(socket())) {
      assertTrue(silent.awaitClosed(), "receiver closes a guest that never says hello");
    }
    assertStillServing(sink, 13);
  }

  @Test
  void unsupportedVersionGetsFatalError() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.send(TestGuest.clientHello(1, 1, 2, 3));
      Frame error = guest.next();
      assertNotNull(error);
      assertEquals(ERROR, error.type());
      assertEquals(1, error.errorCode(), "UNSUPPORTED_VERSION");
      assertTrue(error.fatal());
      assertTrue(guest.awaitClosed());
    }
    assertStillServing(sink, 14);
  }

  @Test
  void identityComesFromTheTransportNotThePayload() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(
        unixReceiver(sink)
            .setIdentityResolver(
                peer ->
                    Attributes.of(
                        AttributeKey.stringKey("sandbox.id"),
                        "sb-1",
                        SOCKET_PATH,
                        "resolver-cannot-override")));
    try (TestGuest guest = TestGuest.connect(socket())) {
      guest.handshake(15, 15);
      guest.send(
          spans(1, otlp(1, Map.of("spantransport.peer.socket_path", "/fake", "sandbox.id", "x"))));
      guest.awaitAck(1);
    }
    Attributes identity = sink.seen.get(0).identity();
    assertEquals(socket().toString(), identity.get(SOCKET_PATH));
    assertEquals("sb-1", identity.get(AttributeKey.stringKey("sandbox.id")));
  }

  @Test
  void shutdownSendsGoAwayAndDrainsBatchesInTheSink() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(unixReceiver(sink));
    Path file = socket();
    try (TestGuest guest = TestGuest.connect(file)) {
      guest.handshake(16, 16);
      guest.send(spans(1, otlp(1)));
      HoldingSink.Held held = sink.await();
      CompletableResultCode shutdown = receiver.shutdown();
      Frame goAway = guest.next();
      assertNotNull(goAway);
      assertEquals(GOAWAY, goAway.type());
      assertEquals(1, goAway.sequence(), "GOAWAY names the last sequence still processed");
      assertFalse(shutdown.isDone(), "shutdown waits for the batch in the sink");
      held.result().succeed();
      Frame ack = guest.next();
      assertNotNull(ack);
      assertEquals(ACK, ack.type());
      assertEquals(1, ack.sequence());
      assertTrue(guest.awaitClosed());
      assertTrue(shutdown.join(10, TimeUnit.SECONDS).isSuccess());
    }
    assertFalse(Files.exists(file), "socket file deleted on shutdown");
    receiver = null;
  }

  @Test
  void staleSocketFileIsReplaced() throws Exception {
    Path udsPath = dir.resolve("fc.vsock");
    Endpoint endpoint = TestEndpoints.hybrid(udsPath, 1024);
    Path file = SocketFiles.socketFile(endpoint).orElseThrow();
    // A crashed run leaves a bound socket file that nobody listens on.
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(file));
    }
    assertTrue(Files.exists(file));
    RecordingSink sink = new RecordingSink();
    start(SpanReceiver.builder().addEndpoint(endpoint).addSink(sink));
    try (TestGuest guest = TestGuest.connect(file)) {
      guest.handshake(17, 17);
      guest.send(spans(1, otlp(1)));
      guest.awaitAck(1);
    }
    assertEquals(file.toString(), sink.seen.get(0).identity().get(SOCKET_PATH));
  }

  @Test
  void socketFileInUseIsNotTaken() throws Exception {
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(socket()));
      SpanReceiver r = unixReceiver(new RecordingSink()).build();
      assertFalse(r.start().isSuccess());
      assertTrue(Files.exists(socket()), "a live socket file is left alone");
    }
  }

  @Test
  void socketFileIsOwnerOnlyByDefault() throws Exception {
    start(unixReceiver(new RecordingSink()));
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket())));
  }

  @Test
  void servesTcpLoopback() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    RecordingSink sink = new RecordingSink();
    start(SpanReceiver.builder().addEndpoint(TestEndpoints.tcp(port)).addSink(sink));
    try (TestGuest guest = TestGuest.connect(new java.net.InetSocketAddress("127.0.0.1", port))) {
      guest.handshake(18, 18);
      guest.send(spans(1, otlp(2)));
      guest.awaitAck(1);
    }
    assertEquals(2, sink.seen.get(0).spanCount());
  }

  @Test
  void legacyFramingIsClosedWithoutADecoder() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink));
    try (TestGuest kata = TestGuest.connect(socket())) {
      kata.send(ByteBuffer.allocate(12).putLong(4).putInt(0x7b7d0a0a).array());
      assertTrue(kata.awaitClosed());
    }
    assertStillServing(sink, 19);
  }

  @Test
  void legacyFramingGoesThroughTheDecoder() throws Exception {
    RecordingSink sink = new RecordingSink();
    byte[] converted = otlp(2);
    start(unixReceiver(sink).setLegacyFrameDecoder((buffer, offset, length) -> converted));
    try (TestGuest kata = TestGuest.connect(socket())) {
      kata.send(ByteBuffer.allocate(12).putLong(4).putInt(0x7b7d0a0a).array());
      Seen seen = sink.await();
      assertArrayEquals(converted, seen.payload());
      assertEquals(2, seen.spanCount());
      assertEquals("", seen.sessionId());
    }
  }

  @Test
  void toStringShowsEndpointsAndLimits() {
    SpanReceiver r = unixReceiver(new RecordingSink()).setWindow(3).setMaxConnections(10).build();
    String text = r.toString();
    assertTrue(text.contains(socket().toString()), text);
    assertTrue(text.contains("window=3"), text);
    assertTrue(text.contains("maxConnections=10"), text);
  }

  @Test
  void budgetBelowTwoFramesIsRejected() {
    SpanReceiverBuilder b =
        unixReceiver(new RecordingSink())
            .setMaxFrameLength(1 << 20)
            .setReceiveBufferBudget(1 << 20);
    IllegalStateException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, b::build);
    assertTrue(e.getMessage().contains("1048576"), e.getMessage());
  }

  @Test
  void peerBudgetBelowTwoFramesIsRejectedNamingBothBounds() {
    SpanReceiverBuilder b =
        unixReceiver(new RecordingSink())
            .setMaxFrameLength(1 << 20)
            .setReceiveBufferBudget(8 << 20)
            .setPeerReceiveBufferBudget(1 << 20);
    IllegalStateException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, b::build);
    assertEquals(
        "peerReceiveBufferBudget must be between twice maxFrameLength (2097152) and"
            + " receiveBufferBudget (8388608): 1048576",
        e.getMessage());
  }

  @Test
  void perPeerCapAndFrameTimeoutAreCheckedAndShown() {
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> unixReceiver(new RecordingSink()).setMaxConnectionsPerPeer(0));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> unixReceiver(new RecordingSink()).setFrameTimeout(java.time.Duration.ZERO));
    String text =
        unixReceiver(new RecordingSink())
            .setMaxConnections(10)
            .setMaxConnectionsPerPeer(20)
            .setFrameTimeout(java.time.Duration.ofSeconds(3))
            .build()
            .toString();
    assertTrue(text.contains("maxConnectionsPerPeer=10"), text); // never above maxConnections
    assertTrue(text.contains("peerReceiveBufferBudget=33554432"), text);
    assertTrue(text.contains("frameTimeout=PT3S"), text);
  }

  interface GuestAction {
    void run(TestGuest guest) throws Exception;
  }

  private void assertBadInputClosesOnlyItsConnection(GuestAction bad, boolean expectError)
      throws Exception {
    RecordingSink sink = new RecordingSink();
    start(unixReceiver(sink));
    try (TestGuest good = TestGuest.connect(socket())) {
      good.handshake(100, 100);
      good.send(spans(1, otlp(1)));
      good.awaitAck(1);
      try (TestGuest guest = TestGuest.connect(socket())) {
        bad.run(guest);
        assertTrue(guest.awaitClosed(), "receiver closes the bad connection");
        if (expectError) {
          assertTrue(
              guest.received().stream().anyMatch(f -> f.type() == ERROR && f.fatal()),
              () -> "expected a fatal ERROR, got " + guest.received());
        }
      }
      good.send(spans(2, otlp(1)));
      assertEquals(2, good.awaitAck(2).sequence(), "the good guest is unaffected");
    }
    assertStillServing(sink, 101);
    assertTrue(
        sink.seen.stream()
            .allMatch(s -> s.sessionId().endsWith("0064") || s.sessionId().endsWith("0065")));
  }
}
