package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code load.connections} (default 4,096) concurrent guest connections to ONE receiver JVM started
 * with {@code -Xmx256m}: raw protocol clients multiplexed on one selector, each doing hello, one
 * SPANS frame of {@code load.spansPerConnection} spans, and waiting for its ACK while all
 * connections stay open. Every span must arrive, and the receiver must not run out of memory.
 */
class LoadTest {

  static final int CONNECTIONS = Integer.getInteger("load.connections", 4096);
  static final int SPANS = Integer.getInteger("load.spansPerConnection", 4);
  static final Duration WAIT = Duration.ofMinutes(3);

  @TempDir Path dir;

  private static final class Client {
    final int id;
    final SocketChannel channel;
    final ByteBuffer in = ByteBuffer.allocate(256);
    ByteBuffer out;
    boolean helloSeen;
    boolean acked;

    Client(int id, SocketChannel channel) {
      this.id = id;
      this.channel = channel;
    }
  }

  @Test
  void fourThousandGuestsDeliverEverySpanToOneSmallHeapReceiver() throws Exception {
    long needed = 2L * CONNECTIONS + 512; // client and receiver ends share this limit via fork
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof UnixOperatingSystemMXBean unix && unix.getMaxFileDescriptorCount() < needed) {
      fail(
          "the open-file limit (ulimit -n) is "
              + unix.getMaxFileDescriptorCount()
              + " but the load test needs at least "
              + needed
              + " for "
              + CONNECTIONS
              + " connections; run it through scripts/test.sh (which raises it) or raise"
              + " ulimit -n");
    }
    Path socket = dir.resolve("receiver.sock");
    SpanLedger ledger = new SpanLedger();
    List<Client> clients = new ArrayList<>(CONNECTIONS);
    long started = System.nanoTime();
    try (DurableSink sink = new DurableSink(dir.resolve("sink.sock"), ledger);
        Selector selector = Selector.open()) {
      ChildJvm receiver =
          ChildJvm.start(
              ReceiverMain.class,
              "256m",
              Map.of(
                  "receiver.endpoint",
                  "unix:" + socket,
                  "receiver.forward",
                  sink.path().toString(),
                  "receiver.maxConnections",
                  Integer.toString(CONNECTIONS + 64),
                  // every guest here is this test's own Unix user: one peer
                  "receiver.maxConnectionsPerPeer",
                  Integer.toString(CONNECTIONS + 64)),
              dir.resolve("receiver.log"));
      try {
        receiver.awaitLine("READY", Duration.ofSeconds(60));
        for (int i = 0; i < CONNECTIONS; i++) {
          SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
          c.connect(UnixDomainSocketAddress.of(socket)); // blocking: waits out a full backlog
          c.configureBlocking(false);
          Client client = new Client(i, c);
          client.out = ByteBuffer.wrap(RawGuest.hello(SessionId.random()));
          c.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE, client);
          clients.add(client);
        }
        long connected = System.nanoTime();
        int acked = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (acked < CONNECTIONS) {
          if (System.nanoTime() - deadline > 0) {
            fail(acked + " of " + CONNECTIONS + " connections acked within " + WAIT);
          }
          selector.select(100);
          for (SelectionKey key : selector.selectedKeys()) {
            Client client = (Client) key.attachment();
            if (key.isValid() && key.isWritable()) {
              client.channel.write(client.out);
              if (!client.out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
              }
            }
            if (key.isValid() && key.isReadable()) {
              acked += read(client, key);
            }
          }
          selector.selectedKeys().clear();
        }
        long done = System.nanoTime();
        Map<String, Long> stats = receiver.stats();
        assertEquals(CONNECTIONS, stats.get("connections"), "receiver's open connections");
        for (Client c : clients) {
          c.channel.close();
        }
        assertTrue(
            ledger.awaitUnique((long) CONNECTIONS * SPANS, Duration.ofSeconds(30)),
            ledger.toString());
        System.out.printf(
            "LoadTest: connections=%d spans=%d connect=%.1fs deliver=%.1fs total=%.1fs"
                + " receiverHeapPeak=%.1fMiB (heapUsed=%.1fMiB, -Xmx %.0fMiB)"
                + " receiverBufferedBytes=%d%n",
            CONNECTIONS,
            ledger.unique(),
            (connected - started) / 1e9,
            (done - connected) / 1e9,
            (done - started) / 1e9,
            stats.get("heapPeak") / 1048576.0,
            stats.get("heapUsed") / 1048576.0,
            stats.get("heapMax") / 1048576.0,
            stats.get("bufferedBytes"));
        assertEquals("0 missing", ledger.missing(0, (long) CONNECTIONS * SPANS, 20));
        assertEquals(0, ledger.duplicates());
        assertTrue(receiver.isAlive(), "receiver died (OOM?); see " + dir.resolve("receiver.log"));
      } finally {
        for (Client c : clients) {
          c.channel.close();
        }
        receiver.close();
      }
    }
  }

  /** Reads what is there; returns 1 when this read completed the client's ACK. */
  private static int read(Client client, SelectionKey key) throws IOException {
    int n = client.channel.read(client.in);
    if (n < 0) {
      fail("receiver closed connection " + client.id + " before its ACK");
    }
    int completed = 0;
    while (client.in.position() >= FrameDescriptor.HEADER_LENGTH) {
      int length = client.in.getInt(FrameDescriptor.LENGTH_OFFSET);
      if (client.in.position() < FrameDescriptor.HEADER_LENGTH + length) {
        break;
      }
      int type = client.in.get(FrameDescriptor.TYPE_OFFSET) & 0xff;
      long seq = client.in.getLong(FrameDescriptor.SEQUENCE_OFFSET);
      client.in.flip().position(FrameDescriptor.HEADER_LENGTH + length);
      client.in.compact();
      if (type == FrameType.SERVER_HELLO && !client.helloSeen) {
        client.helloSeen = true;
        client.out =
            ByteBuffer.wrap(
                RawGuest.frame(
                    FrameType.SPANS, 1, TestSpans.otlp((long) client.id * SPANS, SPANS)));
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
      } else if (type == FrameType.ACK && seq >= 1 && !client.acked) {
        client.acked = true;
        completed = 1;
      } else {
        fail("connection " + client.id + " got unexpected frame type " + type + " seq " + seq);
      }
    }
    return completed;
  }
}
