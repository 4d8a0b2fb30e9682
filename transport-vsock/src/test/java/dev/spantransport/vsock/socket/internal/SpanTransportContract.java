package dev.spantransport.vsock.socket.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.TcpEndpoint;
import dev.spantransport.spi.VsockEndpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One set of connect/accept/read/write tests run against every transport that can connect on this
 * machine (unix, hvsock, tcp; vsock only inside the test VM, see RealVsockIT).
 */
abstract class SpanTransportContract {

  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final long WAIT_MILLIS = 10_000;

  abstract SpanTransport transport();

  /** A fresh endpoint nobody listens on. */
  abstract Endpoint endpoint() throws IOException;

  /** Checks the transport-specific attributes of an accepted connection's identity. */
  abstract void checkPeer(PeerIdentity identity, Endpoint endpoint);

  @Test
  void carriesBytesBothWaysOverBlockingChannels() throws IOException {
    Endpoint endpoint = endpoint();
    SpanTransport transport = transport();
    try (ServerSocketChannel server = transport.listen(endpoint);
        SocketChannel client = transport.connect(endpoint, TIMEOUT);
        SocketChannel accepted = server.accept()) {
      assertTrue(client.isConnected());
      assertTrue(client.isBlocking());
      byte[] request = randomBytes(100_000, 1);
      byte[] response = randomBytes(70_000, 2);
      Thread writer = startWriter(client, request);
      assertArrayEquals(request, readFully(accepted, request.length));
      join(writer);
      writeFully(accepted, response);
      assertArrayEquals(response, readFully(client, response.length));
    }
  }

  @Test
  void acceptsAndReadsWithoutBlockingThroughTheProvidersSelector() throws IOException {
    Endpoint endpoint = endpoint();
    SpanTransport transport = transport();
    try (ServerSocketChannel server = transport.listen(endpoint);
        Selector selector = server.provider().openSelector()) {
      server.configureBlocking(false);
      SelectionKey acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
      assertEquals(0, selector.selectNow());
      assertNull(server.accept());
      try (SocketChannel client = transport.connect(endpoint, TIMEOUT)) {
        assertEquals(1, selector.select(WAIT_MILLIS));
        assertTrue(selector.selectedKeys().contains(acceptKey));
        selector.selectedKeys().clear();
        try (SocketChannel accepted = server.accept()) {
          assertNotNull(accepted);
          accepted.configureBlocking(false);
          SelectionKey readKey = accepted.register(selector, SelectionKey.OP_READ);
          ByteBuffer in = ByteBuffer.allocate(16);
          assertEquals(0, accepted.read(in));

          byte[] hello = {0x53, 0x54, 1, 1};
          writeFully(client, hello);
          long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
          while (in.position() < hello.length && System.nanoTime() < deadline) {
            if (selector.select(WAIT_MILLIS) > 0) {
              assertTrue(selector.selectedKeys().contains(readKey));
              selector.selectedKeys().clear();
              accepted.read(in);
            }
          }
          byte[] got = new byte[in.position()];
          in.flip().get(got);
          assertArrayEquals(hello, got);

          client.close();
          assertEquals(-1, readUntilEnd(selector, accepted));
        }
      }
    }
  }

  @Test
  void reportsPeerIdentityFromTheSocket() throws IOException {
    Endpoint endpoint = endpoint();
    SpanTransport transport = transport();
    try (ServerSocketChannel server = transport.listen(endpoint);
        SocketChannel client = transport.connect(endpoint, TIMEOUT);
        SocketChannel accepted = server.accept()) {
      PeerIdentity identity = transport.peerIdentity(accepted, endpoint);
      assertEquals(transport.name(), identity.transport());
      assertEquals(transport.name(), identity.attributes().get(PeerAttributes.TRANSPORT));
      checkPeer(identity, endpoint);
    }
  }

  @Test
  void rejectsEndpointOfAnotherKind() {
    SpanTransport transport = transport();
    Endpoint foreign =
        transport instanceof TcpTransport
            ? new VsockEndpoint(3, 1024)
            : new TcpEndpoint("127.0.0.1", 9);
    assertFalse(transport.supports(foreign));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> transport.listen(foreign));
    assertEquals(
        "the " + transport.name() + " transport does not support endpoint " + foreign,
        e.getMessage());
  }

  @Test
  void rejectsNonPositiveConnectTimeout() throws IOException {
    Endpoint endpoint = endpoint();
    assertEquals(
        "connect timeout must be positive: PT0S",
        assertThrows(
                IllegalArgumentException.class, () -> transport().connect(endpoint, Duration.ZERO))
            .getMessage());
  }

  static int readUntilEnd(Selector selector, SocketChannel channel) throws IOException {
    ByteBuffer scratch = ByteBuffer.allocate(64);
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    while (System.nanoTime() < deadline) {
      selector.select(WAIT_MILLIS);
      selector.selectedKeys().clear();
      scratch.clear();
      int n = channel.read(scratch);
      if (n < 0) {
        return n;
      }
    }
    return 0;
  }

  static byte[] randomBytes(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void writeFully(SocketChannel channel, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  static byte[] readFully(SocketChannel channel, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        break;
      }
    }
    byte[] got = new byte[buffer.position()];
    buffer.flip().get(got);
    return got;
  }

  /** Writes on another thread, so a payload larger than the socket buffers cannot deadlock. */
  static Thread startWriter(SocketChannel channel, byte[] bytes) {
    Thread t =
        new Thread(
            () -> {
              try {
                writeFully(channel, bytes);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            "test-writer");
    t.start();
    return t;
  }

  static void join(Thread t) {
    try {
      t.join(WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertFalse(t.isAlive(), "writer thread finished");
  }
}
