package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * The hybrid vsock transport ({@code hvsock:PATH:PORT}): the host side of a Firecracker or Cloud
 * Hypervisor guest's vsock.
 *
 * <p>A guest connects with plain AF_VSOCK to the host (CID 2) on port P; its VMM turns that into a
 * connection to the host Unix socket {@code <PATH>_<P>}. {@link #listen} listens on that Unix
 * socket (same rules as {@link UnixTransport}: stale files, permissions, peer credentials of the
 * VMM process). {@link #connect} connects to the same Unix socket, which lets host-side tools and
 * tests play a guest; a real guest uses {@link VsockTransport} inside the VM.
 *
 * <p>Internal, may change.
 */
public final class HybridVsockTransport implements SpanTransport {

  /** The transport name, also the peer identity's transport attribute. */
  public static final String NAME = "hvsock";

  private final UnixSockets.Impl impl;

  /** Creates the transport on junixsocket if its native library loads, else on the JDK. */
  public HybridVsockTransport() {
    this(UnixSockets.Impl.preferred());
  }

  HybridVsockTransport(UnixSockets.Impl impl) {
    this.impl = Objects.requireNonNull(impl, "impl");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean supports(Endpoint endpoint) {
    return endpoint instanceof HybridVsockEndpoint;
  }

  @Override
  public SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException {
    HybridVsockEndpoint e = Transports.require(this, endpoint, HybridVsockEndpoint.class);
    return UnixSockets.connect(impl, e.unixSocketPath(), e, Transports.timeoutMillis(timeout));
  }

  @Override
  public ServerSocketChannel listen(Endpoint endpoint) throws IOException {
    HybridVsockEndpoint e = Transports.require(this, endpoint, HybridVsockEndpoint.class);
    return UnixSockets.listen(impl, e.unixSocketPath(), e);
  }

  @Override
  public PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn) throws IOException {
    HybridVsockEndpoint e = Transports.require(this, listenedOn, HybridVsockEndpoint.class);
    return PeerIdentity.create(NAME, UnixSockets.peerAttributes(accepted, e.unixSocketPath()));
  }

  @Override
  public String toString() {
    return "HybridVsockTransport{name=" + NAME + ", impl=" + impl + "}";
  }
}
