package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.host.internal.Listener;
import dev.spantransport.vsock.host.internal.ReceiveLoop;
import dev.spantransport.vsock.host.internal.ReceiverConfig;
import dev.spantransport.vsock.host.internal.ReceiverContext;
import dev.spantransport.vsock.socket.internal.UnixTransport;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A receiver's loop listening on a Unix socket and stepped by hand on the test thread, in a bounded
 * number of bounded rounds, for tests of what one round of the loop does.
 */
final class SteppedLoop implements AutoCloseable {

  /** Which channels the loop listens on: the JDK's (epoll) or junixsocket's (poll, as AF_VSOCK). */
  enum Channels {
    JDK,
    JUNIXSOCKET
  }

  private static final int MAX_ROUNDS = 2_000;

  final ReceiveLoop loop;
  final ReceiverContext context;

  private SteppedLoop(ReceiveLoop loop, ReceiverContext context) {
    this.loop = loop;
    this.context = context;
  }

  /** Builds {@code builder} with a listener on {@code socket} and registers it with a new loop. */
  static SteppedLoop start(Channels channels, SpanReceiverBuilder builder, Path socket)
      throws IOException {
    ReceiverConfig config = builder.addEndpoint(TestEndpoints.unix(socket)).build().config();
    ReceiverContext context = new ReceiverContext(config);
    ServerSocketChannel server;
    if (channels == Channels.JUNIXSOCKET) {
      AFUNIXServerSocketChannel s = AFUNIXServerSocketChannel.open();
      s.bind(AFUNIXSocketAddress.of(socket));
      server = s;
    } else {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
    }
    ReceiveLoop loop = new ReceiveLoop(context, server.provider());
    loop.addListener(new Listener(config.endpoints().get(0), new UnixTransport(), server, socket));
    return new SteppedLoop(loop, context);
  }

  /** Steps the loop until {@code condition} holds. */
  void stepUntil(BooleanSupplier condition, String what) {
    for (int i = 0; i < MAX_ROUNDS && !condition.getAsBoolean(); i++) {
      if (loop.doWork() == 0) {
        loop.idle(5);
      }
    }
    assertTrue(condition.getAsBoolean(), () -> "timed out waiting until " + what);
  }

  /** Steps the loop until a round does nothing. */
  void stepUntilQuiet() {
    for (int i = 0; i < MAX_ROUNDS; i++) {
      if (loop.doWork() == 0) {
        return;
      }
    }
    throw new AssertionError("the loop never went quiet");
  }

  @Override
  public void close() {
    loop.close();
  }
}
