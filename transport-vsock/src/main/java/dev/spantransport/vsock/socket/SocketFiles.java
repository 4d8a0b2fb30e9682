package dev.spantransport.vsock.socket;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.UnixEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The socket files behind {@code unix:} and {@code hvsock:} listeners, and their permissions.
 *
 * <p>A listener's socket file is created with {@link #OWNER_ONLY} permissions ({@code rw-------}):
 * only the listening user (and root) may connect. When the peer runs as another user, e.g. a VMM
 * that connects to a hybrid vsock socket under its own uid, widen them after {@code listen} with
 * {@link #setPermissions}.
 */
public final class SocketFiles {

  /** {@code rw-------}: only the owner may connect. The default for new listeners. */
  public static final Set<PosixFilePermission> OWNER_ONLY =
      Set.copyOf(PosixFilePermissions.fromString("rw-------"));

  private SocketFiles() {}

  /**
   * Returns the socket file a listener on the endpoint uses: the path of a {@code unix:} endpoint,
   * {@code <path>_<port>} for an {@code hvsock:} endpoint, empty for other endpoints.
   *
   * @param endpoint any endpoint
   * @return the socket file's path, if the endpoint has one
   */
  public static Optional<Path> socketFile(Endpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (endpoint instanceof UnixEndpoint) {
      return Optional.of(((UnixEndpoint) endpoint).path());
    }
    if (endpoint instanceof HybridVsockEndpoint) {
      return Optional.of(((HybridVsockEndpoint) endpoint).unixSocketPath());
    }
    return Optional.empty();
  }

  /**
   * Sets the POSIX permissions of a socket file. Connecting needs write permission on it.
   *
   * @param socketFile the socket file, e.g. from {@link #socketFile(Endpoint)}
   * @param permissions the new permissions
   * @throws IOException if they cannot be set
   * @throws UnsupportedOperationException if the file system has no POSIX permissions
   */
  public static void setPermissions(Path socketFile, Set<PosixFilePermission> permissions)
      throws IOException {
    Objects.requireNonNull(socketFile, "socketFile");
    Objects.requireNonNull(permissions, "permissions");
    Files.setPosixFilePermissions(socketFile, permissions);
  }
}
