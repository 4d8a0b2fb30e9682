package dev.spantransport.vsock.socket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.vsock.socket.SocketFiles;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests shared by the unix and hvsock transports. Each subclass is a {@code @ParameterizedClass}
 * over {@link UnixSockets.Impl}, so every test runs once per Unix socket implementation.
 */
abstract class UnixSocketContract extends SpanTransportContract {

  @TempDir Path dir;
  private final UnixSockets.Impl impl;
  private int next;

  UnixSocketContract(UnixSockets.Impl impl) {
    this.impl = impl;
  }

  final UnixSockets.Impl impl() {
    return impl;
  }

  /** A fresh endpoint whose listener uses a socket file in {@link #dir}. */
  abstract Endpoint endpointIn(Path dir, String name);

  @Override
  Endpoint endpoint() {
    return endpointIn(dir, "s" + (next++) + ".sock");
  }

  static Path socketFile(Endpoint endpoint) {
    return SocketFiles.socketFile(endpoint).orElseThrow();
  }

  @Override
  void checkPeer(PeerIdentity identity, Endpoint endpoint) {
    assertEquals(
        socketFile(endpoint).toString(), identity.attributes().get(PeerAttributes.SOCKET_PATH));
    try {
      if (impl() == UnixSockets.Impl.JUNIXSOCKET) {
        long uid = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();
        long gid = ((Number) Files.getAttribute(dir, "unix:gid")).longValue();
        assertEquals(ProcessHandle.current().pid(), identity.attributes().get(PeerAttributes.PID));
        assertEquals(uid, identity.attributes().get(PeerAttributes.UID));
        assertEquals(gid, identity.attributes().get(PeerAttributes.GID));
        assertNull(identity.attributes().get(PeerAttributes.USER));
      } else {
        assertEquals(Files.getOwner(dir).getName(), identity.attributes().get(PeerAttributes.USER));
        assertNull(identity.attributes().get(PeerAttributes.PID));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void replacesStaleSocketFileLeftByDeadListener() throws IOException {
    Endpoint endpoint = endpoint();
    Path file = socketFile(endpoint);
    ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    dead.bind(UnixDomainSocketAddress.of(file));
    dead.close(); // the JDK leaves the file behind, as a crashed listener would
    assertTrue(Files.exists(file));

    try (ServerSocketChannel server = transport().listen(endpoint);
        SocketChannel client = transport().connect(endpoint, TIMEOUT);
        SocketChannel accepted = server.accept()) {
      assertNotNull(accepted);
      writeFully(client, new byte[] {42});
      assertEquals(42, readFully(accepted, 1)[0]);
    }
  }

  @Test
  void refusesToTakeOverLiveSocket() throws IOException {
    Endpoint endpoint = endpoint();
    Path file = socketFile(endpoint);
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(file));
      IOException e = assertThrows(IOException.class, () -> transport().listen(endpoint));
      assertEquals(
          "cannot listen on "
              + endpoint
              + ": another process is accepting connections on "
              + file
              + " (it is left untouched)",
          e.getMessage());
      // Still the live listener's socket: a new client reaches it.
      try (SocketChannel probe = live.accept();
          SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(file));
          SocketChannel accepted = live.accept()) {
        assertNotNull(probe);
        writeFully(client, new byte[] {7});
        assertEquals(7, readFully(accepted, 1)[0]);
      }
    }
  }

  @Test
  void refusesToDeleteFileThatIsNotSocket() throws IOException {
    Endpoint endpoint = endpoint();
    Path file = socketFile(endpoint);
    Files.writeString(file, "precious");
    IOException e = assertThrows(IOException.class, () -> transport().listen(endpoint));
    assertEquals(
        "cannot listen on "
            + endpoint
            + ": "
            + file
            + " exists and is not a socket (it is left untouched)",
        e.getMessage());
    assertEquals("precious", Files.readString(file, StandardCharsets.UTF_8));
  }

  @Test
  void createsSocketFileReadableAndWritableByOwnerOnly() throws IOException {
    Endpoint endpoint = endpoint();
    try (ServerSocketChannel server = transport().listen(endpoint)) {
      assertEquals(SocketFiles.OWNER_ONLY, Files.getPosixFilePermissions(socketFile(endpoint)));
    }
  }

  @Test
  void socketFileLinkedIntoPlaceAcceptsAndIsDeletedWithItsStagingDirectory() throws IOException {
    Endpoint endpoint = endpoint();
    Path file = socketFile(endpoint);
    try (ServerSocketChannel server = transport().listen(endpoint);
        SocketChannel client = transport().connect(endpoint, TIMEOUT);
        SocketChannel accepted = server.accept()) {
      writeFully(client, new byte[] {9});
      assertEquals(9, readFully(accepted, 1)[0]);
      Path staging = UnixSockets.stagingDirectory(file);
      if (impl() == UnixSockets.Impl.JUNIXSOCKET) {
        // junixsocket checks its bound name on every accept: it stays, where only the owner goes.
        assertEquals(
            PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(staging));
      } else {
        assertFalse(Files.exists(staging), "staging directory removed");
      }
    }
    UnixSockets.deleteSocketFile(file);
    assertFalse(Files.exists(file));
    assertFalse(Files.exists(UnixSockets.stagingDirectory(file)));
  }

  @Test
  void listenInMissingDirectoryNamesTheEndpoint() {
    Endpoint endpoint = endpointIn(dir.resolve("missing"), "x.sock");
    IOException e = assertThrows(IOException.class, () -> transport().listen(endpoint));
    assertTrue(e.getMessage().startsWith("cannot listen on " + endpoint + ": "), e.getMessage());
  }

  @Test
  void connectToMissingSocketNamesTheEndpoint() {
    Endpoint endpoint = endpoint();
    IOException e = assertThrows(IOException.class, () -> transport().connect(endpoint, TIMEOUT));
    assertTrue(e.getMessage().startsWith("cannot connect to " + endpoint + ": "), e.getMessage());
  }

  @Test
  void socketFileAfterCloseStaysAndIsReplaceable() throws IOException {
    Endpoint endpoint = endpoint();
    transport().listen(endpoint).close();
    assertTrue(Files.exists(socketFile(endpoint)), "left for its owner to delete");
    try (ServerSocketChannel again = transport().listen(endpoint)) {
      assertTrue(Files.exists(socketFile(endpoint)));
    }
  }
}
