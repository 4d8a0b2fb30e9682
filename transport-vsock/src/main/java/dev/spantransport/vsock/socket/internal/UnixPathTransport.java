package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerIdentity;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * A transport whose endpoints name a Unix domain socket: {@link UnixTransport} uses the endpoint's
 * path as it is, {@link HybridVsockTransport} derives it from path and port. Connect, listen and
 * peer identity follow {@link UnixSockets}.
 *
 * <p>Internal, may change.
 *
 * @param <E> the endpoint type this transport accepts
 */
abstract class UnixPathTransport<E extends Endpoint> implements SocketFileTransport {

  private final String name;
  private final Class<E> endpointType;
  private final UnixSockets.Impl impl;

  UnixPathTransport(String name, Class<E> endpointType, UnixSockets.Impl impl) {
    this.name = name;
    this.endpointType = endpointType;
    this.impl = Objects.requireNonNull(impl, "impl");
  }

  /** Returns the Unix socket path that {@code endpoint} stands for. */
  abstract Path socketPath(E endpoint);

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final boolean supports(Endpoint endpoint) {
    return endpointType.isInstance(endpoint);
  }

  @Override
  public final SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException {
    E e = Transports.require(this, endpoint, endpointType);
    return UnixSockets.connect(impl, socketPath(e), e, Transports.timeoutMillis(timeout));
  }

  @Override
  public final ServerSocketChannel listen(Endpoint endpoint) throws IOException {
    E e = Transports.require(this, endpoint, endpointType);
    return UnixSockets.listen(impl, socketPath(e), e);
  }

  @Override
  public final ServerSocketChannel listen(Endpoint endpoint, Set<PosixFilePermission> permissions)
      throws IOException {
    E e = Transports.require(this, endpoint, endpointType);
    return UnixSockets.listen(impl, socketPath(e), e, Objects.requireNonNull(permissions));
  }

  @Override
  public final void deleteSocketFile(Endpoint endpoint) throws IOException {
    UnixSockets.deleteSocketFile(socketPath(Transports.require(this, endpoint, endpointType)));
  }

  @Override
  public final PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn)
      throws IOException {
    E e = Transports.require(this, listenedOn, endpointType);
    return PeerIdentity.create(name, UnixSockets.peerAttributes(accepted, socketPath(e)));
  }

  @Override
  public final String toString() {
    return getClass().getSimpleName() + "{name=" + name + ", impl=" + impl + "}";
  }
}
