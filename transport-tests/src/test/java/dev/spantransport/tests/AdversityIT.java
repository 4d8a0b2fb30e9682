package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.tests.adversity.ConnectionFlood;
import dev.spantransport.tests.adversity.CountingSink;
import dev.spantransport.tests.adversity.ReceiverCounters;
import dev.spantransport.tests.adversity.SocketFileWatch;
import dev.spantransport.tests.adversity.TricklingGuests;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import dev.spantransport.wire.ErrorCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Attacks on every guarantee span-transport makes, each against the real receiver (and, where the
 * guarantee is the forwarder's, the real forwarder): one test method per attack, named after it,
 * asserting exact counts. The attack fixtures live in {@code dev.spantransport.tests.adversity}.
 */
class AdversityIT {

  // 1. Identity spoofing through span, event and link attributes.

  // 2. Terminal and log injection.

  // 3. Duplicate delivery with a slow sink.

  // 4. Connections leaked after SINK_UNAVAILABLE with a full window.

  // 5. Permanent rejection resent forever.

  // 6. Slow loris.

  /**
   * Tricklers announce frames whose sizes add up to more than the whole budget (the largest first,
   * then smaller ones that fill what is left) and send one byte per 100 ms. A good guest must still
   * deliver while all of them are connected; each trickler is closed at the frame deadline with an
   * ERROR saying so, and the budget returns to zero.
   */
  @Test
  void slowLorisGuestsCannotExhaustTheBudget(@TempDir Path dir) throws Exception {
    int maxFrame = 1 << 20;
    int[] sizes = {
      maxFrame, 512 << 10, 256 << 10, 128 << 10, 64 << 10, 32 << 10, 16 << 10, 9 << 10
    };
    int[] counts = {8, 2, 2, 2, 2, 2, 64, 16};
    int tricklers = IntStream.of(counts).sum();
    Duration frameTimeout = Duration.ofSeconds(8);
    Path socket = dir.resolve("loris.sock");
    CountingSink sink = new CountingSink();
    ReceiverCounters counters = new ReceiverCounters();
    SpanReceiver receiver =
        Receivers.start(
            Receivers.builder(socket, sink)
                .setMaxFrameLength(maxFrame)
                .setReceiveBufferBudget(8L * maxFrame)
                .setFrameTimeout(frameTimeout)
                .setMeterProvider(counters.meterProvider()));
    try {
      try (TricklingGuests lorises =
          TricklingGuests.connect(socket, tricklers, Duration.ofSeconds(10))) {
        for (int i = 0, first = 0; i < sizes.length; first += counts[i++]) {
          lorises.announce(first, first + counts[i], sizes[i]); // largest first
          for (int round = 0; round < 2; round++) {
            assertEquals(tricklers, lorises.trickle(), "every trickler connected");
            Thread.sleep(100); // the trickle rate, not a wait for a result
          }
        }
        try (Guests good = new Guests(Guests.fastBuilder(socket))) {
          good.exporter.export(TestSpans.batch(0, 50));
          assertTrue(
              good.flushFully(Duration.ofSeconds(5)),
              "the good guest's 50 spans are acked while the tricklers hold announced frames");
        }
        assertEquals(50, sink.spans());
        assertEquals(0, counters.rejected("frame_timeout"), "tricklers alive during delivery");
        long bases = (long) tricklers * SpanReceiverBuilder.DEFAULT_READ_BUFFER_SIZE;
        assertTrue(
            Receivers.await(() -> receiver.bufferedBytes() == bases, Duration.ofSeconds(5)),
            "tricklers hold their base buffers only, not what they announced: "
                + receiver.bufferedBytes()
                + " bytes");

        long deadline = System.nanoTime() + frameTimeout.multipliedBy(3).toNanos();
        while (lorises.trickle() > 0) {
          assertTrue(System.nanoTime() - deadline < 0, "tricklers still open after 3x deadline");
          Thread.sleep(100); // the trickle rate, not a wait for a result
        }
        for (TricklingGuests.Guest g : lorises.guests()) {
          assertNotNull(g.error(), "ERROR before close");
          assertEquals(ErrorCode.PROTOCOL_VIOLATION, g.error().code());
          assertTrue(g.error().fatal());
          assertTrue(
              g.error().message().startsWith("frame not completed within " + frameTimeout),
              g.error().message());
        }
        assertEquals(tricklers, counters.rejected("frame_timeout"));
      }
      assertTrue(
          Receivers.await(
              () -> receiver.connectionCount() == 0 && receiver.bufferedBytes() == 0,
              Duration.ofSeconds(10)),
          "budget back to baseline: "
              + receiver.bufferedBytes()
              + " bytes, "
              + receiver.connectionCount()
              + " connections");
    } finally {
      receiver.close();
    }
  }

  // 7. One VM takes every connection.

  /**
   * One peer (127.0.0.2) opens 5,000 TCP connections and holds them without a handshake; another
   * (127.0.0.1) connects after it and must still deliver. The first peer keeps exactly its cap; the
   * rest of its connections are refused and counted.
   */
  @Test
  void oneVmCannotTakeEveryConnection() throws Exception {
    int flood = 5000;
    int cap = SpanReceiverBuilder.DEFAULT_MAX_CONNECTIONS_PER_PEER;
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    String endpoint = "tcp://127.0.0.1:" + port;
    CountingSink sink = new CountingSink();
    ReceiverCounters counters = new ReceiverCounters();
    SpanReceiver receiver =
        Receivers.start(
            SpanReceiver.builder()
                .addEndpoint(endpoint)
                .addSink(sink)
                .setHandshakeTimeout(Duration.ofMinutes(5))
                .setShutdownTimeout(Duration.ofSeconds(2))
                .setMeterProvider(counters.meterProvider()));
    try (ConnectionFlood one =
        ConnectionFlood.open(
            InetAddress.getByName("127.0.0.2"),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            flood)) {
      try (Guests other =
          new Guests(
              VsockSpanExporter.builder()
                  .setEndpoint(endpoint)
                  .setConnectTimeout(Duration.ofSeconds(2))
                  .setTimeout(Duration.ofSeconds(5))
                  .setReconnectInitialBackoff(Duration.ofMillis(20))
                  .setReconnectMaxBackoff(Duration.ofMillis(200)))) {
        other.exporter.export(TestSpans.batch(0, 20));
        assertTrue(
            other.flushFully(Duration.ofSeconds(20)),
            "the second peer delivers while the first holds " + receiver.connectionCount());
      }
      assertEquals(20, sink.spans());
      assertTrue(
          Receivers.await(() -> one.closedByPeer() == flood - cap, Duration.ofSeconds(60)),
          "refused connections of the first peer closed: " + one.closedByPeer());
      assertEquals(cap, receiver.connectionCount(), "the first peer keeps exactly its cap");
      assertEquals(flood - cap, counters.refused("peer_connections"));
      assertEquals(0, counters.refused("max_connections"));
    } finally {
      receiver.close();
    }
  }

  // 8. Decode bombs.

  // 9. Socket-file permission race.

  /**
   * A racing thread reads the socket file's mode in a tight loop while a receiver binds it 100
   * times: it must only ever see the configured mode, never the umask's.
   */
  @Test
  void socketFileIsNeverReachableWithLooserPermissions(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("race.sock");
    SocketFileWatch watch = SocketFileWatch.start(socket);
    try {
      for (int i = 0; i < 100; i++) {
        SpanReceiver r =
            Receivers.start(
                Receivers.builder(socket, new CountingSink())
                    .setSocketFilePermissions(PosixFilePermissions.fromString("rw-------")));
        assertTrue(r.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
      }
    } finally {
      watch.close();
    }
    assertTrue(watch.observations() > 0, "the watch saw the socket file");
    assertEquals(Set.of("rw-------"), watch.seen());
  }

  /**
   * Only a socket file whose connect is refused is stale. A live listener's file, and a socket file
   * that cannot be probed (here a datagram socket: the stream connect fails with EPROTOTYPE, as a
   * permission error would fail it with EACCES), are left alone and the receiver does not start.
   */
  @Test
  void socketFileIsRemovedOnlyWhenItsConnectIsRefused(@TempDir Path dir) throws Exception {
    Path stale = dir.resolve("stale.sock");
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(stale));
    }
    assertTrue(Files.exists(stale));
    SpanReceiver r = Receivers.start(Receivers.builder(stale, new CountingSink()));
    r.close();

    Path live = dir.resolve("live.sock");
    try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      listener.bind(UnixDomainSocketAddress.of(live));
      SpanReceiver taken = Receivers.builder(live, new CountingSink()).build();
      assertFalse(taken.start().join(10, TimeUnit.SECONDS).isSuccess(), "live socket taken over");
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(live))) {
        assertTrue(client.isConnected(), "the live listener still owns its file");
      }
    }

    Path other = dir.resolve("datagram.sock");
    try (AFUNIXDatagramSocket datagram = AFUNIXDatagramSocket.newInstance()) {
      datagram.bind(AFUNIXSocketAddress.of(other));
      Object inode = Files.getAttribute(other, "unix:ino");
      SpanReceiver refused = Receivers.builder(other, new CountingSink()).build();
      assertFalse(refused.start().join(10, TimeUnit.SECONDS).isSuccess(), "unprobed file removed");
      assertEquals(inode, Files.getAttribute(other, "unix:ino"), "the same socket file is there");
    }
  }

  // 10. Sustained load.

}
