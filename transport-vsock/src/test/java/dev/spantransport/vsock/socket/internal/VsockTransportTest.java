package dev.spantransport.vsock.socket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spantransport.spi.TcpEndpoint;
import dev.spantransport.spi.VsockEndpoint;
import dev.spantransport.vsock.socket.VsockSupport;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * AF_VSOCK on the build machine: listening only. Connecting AF_VSOCK is never done here (it would
 * reach infrastructure that is not ours); RealVsockIT does that inside a guest VM it boots.
 */
class VsockTransportTest {

  private final VsockTransport transport = new VsockTransport();

  /** A port in the dynamic range; collisions with another listener only fail the bind. */
  private static VsockEndpoint anyCidEndpoint() {
    return VsockEndpoint.anyCid(ThreadLocalRandom.current().nextLong(50_000, 4_000_000_000L));
  }

  private static void assumeVsock() {
    assumeTrue(VsockSupport.isAvailable(), () -> VsockSupport.unavailableReason().orElse(""));
  }

  @Test
  void listensOnAnyCidAndAcceptsNothing() throws IOException {
    assumeVsock();
    VsockEndpoint endpoint = anyCidEndpoint();
    try (ServerSocketChannel server = transport.listen(endpoint)) {
      assertInstanceOf(VsockServerSocketChannel.class, server);
      assertSame(VsockSelectorProvider.INSTANCE, server.provider());
      AFVSOCKSocketAddress local = (AFVSOCKSocketAddress) server.getLocalAddress();
      assertEquals(endpoint.port(), Integer.toUnsignedLong(local.getVSOCKPort()));
      assertEquals(VsockEndpoint.VMADDR_CID_ANY, Integer.toUnsignedLong(local.getVSOCKCID()));
      server.configureBlocking(false);
      assertNull(server.accept());
    }
  }

  @Test
  void nonBlockingListenerRegistersWithItsProvidersSelector() throws IOException {
    assumeVsock();
    try (ServerSocketChannel server = transport.listen(anyCidEndpoint());
        Selector selector = server.provider().openSelector()) {
      server.configureBlocking(false);
      SelectionKey key = server.register(selector, SelectionKey.OP_ACCEPT);
      assertTrue(key.isValid());
      assertEquals(0, selector.selectNow());
      assertEquals(0, selector.select(50));
      assertTrue(selector.selectedKeys().isEmpty());
      key.cancel();
    }
  }

  @Test
  void listenOnBusyPortNamesTheEndpoint() throws IOException {
    assumeVsock();
    VsockEndpoint endpoint = anyCidEndpoint();
    try (ServerSocketChannel first = transport.listen(endpoint)) {
      IOException e = assertThrows(IOException.class, () -> transport.listen(endpoint));
      assertTrue(e.getMessage().startsWith("cannot listen on " + endpoint + ": "), e.getMessage());
    }
  }

  @Test
  void closedListenerFreesThePort() throws IOException {
    assumeVsock();
    VsockEndpoint endpoint = anyCidEndpoint();
    transport.listen(endpoint).close();
    try (ServerSocketChannel again = transport.listen(endpoint)) {
      assertTrue(again.isOpen());
    }
  }

  @Test
  void refusesToConnectToAnyCidBeforeOpeningSocket() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> transport.connect(VsockEndpoint.anyCid(1024), Duration.ofSeconds(1)));
    assertEquals(
        "cannot connect to CID any (VMADDR_CID_ANY), which is only for listening: vsock://any:1024",
        e.getMessage());
  }

  @Test
  void supportsOnlyVsockEndpoints() {
    assertTrue(transport.supports(new VsockEndpoint(3, 1024)));
    assertFalse(transport.supports(new TcpEndpoint("127.0.0.1", 1024)));
    assertThrows(IllegalArgumentException.class, () -> transport.listen(new TcpEndpoint("h", 1)));
  }

  @Test
  void peerIdentityRejectsChannelOfAnotherFamily(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("x.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(file));
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(file));
          SocketChannel accepted = server.accept()) {
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class,
                () -> transport.peerIdentity(accepted, VsockEndpoint.anyCid(1024)));
        assertTrue(e.getMessage().startsWith("not an AF_VSOCK channel"), e.getMessage());
      }
    }
  }

  @Test
  void supportReportsPlatformWhenUnavailable() {
    String reason = VsockSupport.unavailableReason().orElse(null);
    if (reason == null) {
      assertTrue(VsockSupport.isAvailable());
      VsockSupport.ensureAvailable();
    } else {
      assertFalse(VsockSupport.isAvailable());
      assertTrue(reason.contains("os.name=" + System.getProperty("os.name")), reason);
      assertTrue(reason.contains("os.arch=" + System.getProperty("os.arch")), reason);
      assertThrows(UnsupportedOperationException.class, VsockSupport::ensureAvailable);
    }
  }

  @Test
  void unsupportedMessageNamesPlatformAndKeepsOtherTransports() {
    UnsupportedOperationException e = VsockFamily.unsupported("no native library", null);
    assertEquals(
        "AF_VSOCK is not available on this platform (os.name="
            + System.getProperty("os.name")
            + ", os.arch="
            + System.getProperty("os.arch")
            + "): no native library; the unix, hvsock and tcp transports still work",
        e.getMessage());
  }
}
