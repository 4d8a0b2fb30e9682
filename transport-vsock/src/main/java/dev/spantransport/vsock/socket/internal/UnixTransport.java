package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.UnixEndpoint;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * The Unix domain socket transport ({@code unix:PATH}). Stale socket files, permissions, peer
 * credentials and the two implementations are described in {@link UnixSockets}.
 *
 * <p>Internal, may change.
 */
public final class UnixTransport implements SpanTransport {

  /** The transport name, also the peer identity's transport attribute. */
  public static final String NAME = "unix";

  private final UnixSockets.Impl impl;

  /** Creates the transport on junixsocket if its native library loads, else on the JDK. */
  public UnixTransport() {
    this(UnixSockets.Impl.preferred());
  }

  UnixTransport(UnixSockets.Impl impl) {
    this.impl = Objects.requireNonNull(impl, "impl");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean supports(Endpoint endpoint) {
    return endpoint instanceof UnixEndpoint;
  }

  @Override
  public SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException {
    UnixEndpoint e = Transports.require(this, endpoint, UnixEndpoint.class);
    return UnixSockets.connect(impl, e.path(), e, Transports.timeoutMillis(timeout));
  }

  @Override
  public ServerSocketChannel listen(Endpoint endpoint) throws IOException {
    UnixEndpoint e = Transports.require(this, endpoint, UnixEndpoint.class);
    return UnixSockets.listen(impl, e.path(), e);
  }

  @Override
  public PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn) throws IOException {
    UnixEndpoint e = Transports.require(this, listenedOn, UnixEndpoint.class);
    return PeerIdentity.create(NAME, UnixSockets.peerAttributes(accepted, e.path()));
  }

  @Override
  public String toString() {
    return "UnixTransport{name=" + NAME + ", impl=" + impl + "}";
  }
}
