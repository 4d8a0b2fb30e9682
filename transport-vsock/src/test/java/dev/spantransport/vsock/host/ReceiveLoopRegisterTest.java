package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.vsock.host.internal.Listener;
import dev.spantransport.vsock.host.internal.ReceiveLoop;
import dev.spantransport.vsock.host.internal.ReceiverConfig;
import dev.spantransport.vsock.host.internal.ReceiverContext;
import dev.spantransport.vsock.socket.internal.UnixTransport;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A connection the loop accepts but cannot register with its selector. */
class ReceiveLoopRegisterTest {

  @TempDir Path dir;

  private ReceiveLoop loop;

  @AfterEach
  void closeLoop() {
    if (loop != null) {
      loop.close();
    }
  }

  /**
   * Identifies the peer like the unix transport, then closes the channel before it is registered.
   */
  private static final class ClosingTransport implements SpanTransport {
    private final UnixTransport unix = new UnixTransport();
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public String name() {
      return unix.name();
    }

    @Override
    public boolean supports(Endpoint endpoint) {
      return unix.supports(endpoint);
    }

    @Override
    public SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException {
      return unix.connect(endpoint, timeout);
    }

    @Override
    public ServerSocketChannel listen(Endpoint endpoint) throws IOException {
      return unix.listen(endpoint);
    }

    @Override
    public PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn)
        throws IOException {
      PeerIdentity peer = unix.peerIdentity(accepted, listenedOn);
      accepted.close();
      closed.incrementAndGet();
      return peer;
    }
  }

  @Test
  void connectionThatCannotBeRegisteredReturnsItsReadBuffer() throws Exception {
    Path socket = dir.resolve("r.sock");
    ReceiverConfig config =
        SpanReceiver.builder()
            .addSink(new TestSinks.RecordingSink())
            .addEndpoint(TestEndpoints.unix(socket))
            .build()
            .config();
    ReceiverContext context = new ReceiverContext(config);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    loop = new ReceiveLoop(context, server.provider());
    ClosingTransport transport = new ClosingTransport();
    loop.addListener(new Listener(config.endpoints().get(0), transport, server, socket));

    try (SocketChannel guest = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      guest.connect(UnixDomainSocketAddress.of(socket));
      for (int i = 0; i < 2_000 && transport.closed.get() == 0; i++) {
        if (loop.doWork() == 0) {
          loop.idle(5);
        }
      }
    }
    assertTrue(transport.closed.get() > 0, "the loop accepted the connection");
    assertEquals(0, context.connectionCount());
    assertEquals(0, context.bufferedBytes(), "the read buffer's reservation was returned");
  }
}
