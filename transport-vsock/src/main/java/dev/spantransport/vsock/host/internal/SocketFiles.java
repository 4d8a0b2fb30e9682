package dev.spantransport.vsock.host.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.UnixEndpoint;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Socket-file care for unix and hybrid-vsock endpoints: a stale file left by a crashed run is
 * removed before binding (a live one is not), permissions are set after binding, and the file is
 * deleted on shutdown.
 *
 * <p>This class is internal and may change without notice.
 */
public final class SocketFiles {

  private SocketFiles() {}

  /**
   * Returns the socket file an endpoint binds, or null for vsock and tcp.
   *
   * @param endpoint an endpoint
   * @return the path, or null
   */
  public static Path socketFile(Endpoint endpoint) {
    if (endpoint instanceof HybridVsockEndpoint) {
      return ((HybridVsockEndpoint) endpoint).unixSocketPath();
    }
    if (endpoint instanceof UnixEndpoint) {
      return ((UnixEndpoint) endpoint).path();
    }
    return null;
  }

  /**
   * Removes {@code file} if it is a socket nobody listens on. Throws if a server answers on it or
   * if it is not a socket, so a running receiver or an unrelated file is never removed.
   *
   * @param file the socket file about to be bound
   * @throws IOException if the file is in use, is not a socket, or cannot be removed
   */
  public static void removeStale(Path file) throws IOException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        || Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)
        || Files.isSymbolicLink(file)) {
      throw new FileAlreadyExistsException(
          file.toString(), null, "socket path exists and is not a socket; not removing it");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(file));
      throw new FileAlreadyExistsException(
          file.toString(), null, "another process is listening on this socket");
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException refused) {
      // Nobody listens: a stale file from a previous run.
      Files.deleteIfExists(file);
    }
  }

  /**
   * Sets the permissions of a freshly bound socket file.
   *
   * @param file the socket file
   * @param permissions the permissions to set
   * @throws IOException if they cannot be set
   */
  public static void restrict(Path file, Set<PosixFilePermission> permissions) throws IOException {
    Files.setPosixFilePermissions(file, permissions);
  }
}
