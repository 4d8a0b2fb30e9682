package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.host.internal.Listener;
import dev.spantransport.vsock.host.internal.ReceiveLoop;
import dev.spantransport.vsock.host.internal.ReceiverConfig;
import dev.spantransport.vsock.host.internal.ReceiverContext;
import dev.spantransport.vsock.socket.internal.UnixTransport;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several selectors per provider: the loop holding the listener deals accepted connections
 * round-robin to itself and its shards, and each loop serves only the connections dealt to it. Both
 * loops are stepped by the test thread, so which loop answers is observable.
 */
class ReceiveLoopShardTest {

  @TempDir Path dir;

  private ReceiverContext context;
  private ReceiveLoop acceptor;
  private ReceiveLoop shard;
  private Path socket;
  private final List<SocketChannel> guests = new ArrayList<>();

  @BeforeEach
  void openLoops() throws IOException {
    socket = dir.resolve("r.sock");
    ReceiverConfig config =
        SpanReceiver.builder()
            .addSink(new TestSinks.RecordingSink())
            .addEndpoint(TestEndpoints.unix(socket))
            .build()
            .config();
    context = new ReceiverContext(config);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new ReceiveLoop(context, server.provider());
    shard = new ReceiveLoop(context, server.provider());
    acceptor.addListener(
        new Listener(config.endpoints().get(0), new UnixTransport(), server, socket));
    acceptor.shareConnectionsWith(List.of(acceptor, shard));
  }

  @AfterEach
  void close() throws IOException {
    for (SocketChannel g : guests) {
      g.close();
    }
    acceptor.close();
    shard.close();
  }

  private SocketChannel connectAndHello() throws IOException {
    SocketChannel g = SocketChannel.open(StandardProtocolFamily.UNIX);
    g.connect(UnixDomainSocketAddress.of(socket));
    ClientHello hello = ClientHello.create(SessionId.random(), "shard-test");
    byte[] frame = new byte[hello.frameLength()];
    FrameWriter.writeClientHello(frame, 0, hello);
    ByteBuffer b = ByteBuffer.wrap(frame);
    while (b.hasRemaining()) {
      g.write(b);
    }
    g.configureBlocking(false);
    guests.add(g);
    return g;
  }

  /** Steps {@code loop} until {@code guest} got its SERVER_HELLO or 2,000 rounds passed. */
  private static boolean answered(ReceiveLoop loop, SocketChannel guest) throws IOException {
    ByteBuffer in = ByteBuffer.allocate(1024);
    for (int i = 0; i < 2_000; i++) {
      if (loop.doWork() == 0) {
        loop.idle(1);
      }
      if (guest.read(in) < 0) {
        return false;
      }
      if (in.position() >= FrameDescriptor.HEADER_LENGTH) {
        return (in.get(FrameDescriptor.TYPE_OFFSET) & 0xff) == FrameType.SERVER_HELLO;
      }
    }
    return false;
  }

  /** True once the receiver closed {@code guest}: end of stream, or a reset (unread bytes). */
  private static boolean closedByReceiver(SocketChannel guest) {
    try {
      return guest.read(ByteBuffer.allocate(16)) < 0;
    } catch (IOException e) {
      return true;
    }
  }

  private void acceptAll(int n) {
    for (int i = 0; i < 2_000 && context.connectionCount() < n; i++) {
      if (acceptor.doWork() == 0) {
        acceptor.idle(1);
      }
    }
    assertEquals(n, context.connectionCount(), "accepted");
  }

  @Test
  void acceptedConnectionsAreDealtRoundRobinAndEachLoopServesItsOwn() throws Exception {
    SocketChannel first = connectAndHello();
    acceptAll(1);
    SocketChannel second = connectAndHello();
    acceptAll(2);
    // The first went to the acceptor itself, the second to the shard: only the shard answers it.
    assertTrue(answered(shard, second), "the shard serves the connection dealt to it");
    assertTrue(answered(acceptor, first), "the acceptor serves its own");
    SocketChannel third = connectAndHello();
    acceptAll(3);
    assertTrue(answered(acceptor, third), "the deal wraps around to the acceptor");
    assertEquals(3, context.connectionCount());
  }

  @Test
  void connectionDealtToAClosedShardIsClosedAndNotCounted() throws Exception {
    SocketChannel first = connectAndHello();
    acceptAll(1);
    shard.close();
    SocketChannel second = connectAndHello();
    for (int i = 0; i < 2_000 && !closedByReceiver(second); i++) {
      if (acceptor.doWork() == 0) {
        acceptor.idle(1);
      }
    }
    assertTrue(closedByReceiver(second), "the guest sees its connection closed");
    assertEquals(1, context.connectionCount(), "only the first connection is counted");
    assertTrue(answered(acceptor, first), "the acceptor still serves the first");
  }

  @Test
  void closingAShardClosesConnectionsStillWaitingToBeRegistered() throws Exception {
    connectAndHello();
    acceptAll(1);
    SocketChannel second = connectAndHello();
    acceptAll(2); // handed to the shard, which has not run yet
    shard.close();
    assertEquals(1, context.connectionCount(), "the dropped hand-off is no longer counted");
    assertTrue(closedByReceiver(second), "and its guest sees the close");
  }
}
