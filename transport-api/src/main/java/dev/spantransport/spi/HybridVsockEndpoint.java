package dev.spantransport.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A hybrid vsock endpoint: the host's view of a guest's AF_VSOCK port under Firecracker or Cloud
 * Hypervisor.
 *
 * <p>These VMMs expose the guest's vsock device on the host as a Unix socket at {@code socketPath}.
 * A guest's connection to vsock port {@code P} on the host (CID 2) reaches the host as a connection
 * to the Unix socket {@code <socketPath>_<P>} ({@link #unixSocketPath()}), which the host must
 * listen on. Kata Containers' {@code hvsock://} agent URLs use the same rule. Inside the guest the
 * peer still uses plain AF_VSOCK ({@link VsockEndpoint}); this type is only for the host side, and
 * for host tools and tests that play a guest by connecting to that Unix socket.
 *
 * <p>String form {@code hvsock:PATH:PORT}: the port follows the last {@code ':'}, e.g. {@code
 * hvsock:/run/vm/v.sock:10240}.
 *
 * @param socketPath the VMM's vsock Unix socket (the {@code uds_path}), not empty
 * @param port the guest-side vsock port, 1 to 4294967294
 */
public record HybridVsockEndpoint(Path socketPath, long port) implements Endpoint {

  /**
   * Validates the path and port.
   *
   * @throws IllegalArgumentException if the path is empty or the port outside 1..4294967294
   */
  public HybridVsockEndpoint {
    Objects.requireNonNull(socketPath, "socketPath");
    if (socketPath.toString().isEmpty()) {
      throw new IllegalArgumentException("hybrid vsock socket path must not be empty");
    }
    VsockEndpoint.checkPort(port);
  }

  /**
   * Returns the Unix socket the host listens on for this port: {@code <socketPath>_<port>}.
   *
   * @return the per-port Unix socket path
   */
  public Path unixSocketPath() {
    return Path.of(socketPath + "_" + port);
  }

  @Override
  public String scheme() {
    return "hvsock";
  }

  @Override
  public String toString() {
    return "hvsock:" + socketPath + ":" + port;
  }
}
