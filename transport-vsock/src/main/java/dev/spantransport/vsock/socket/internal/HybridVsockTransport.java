package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.HybridVsockEndpoint;
import java.nio.file.Path;

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
public final class HybridVsockTransport extends UnixPathTransport<HybridVsockEndpoint> {

  /** The transport name, also the peer identity's transport attribute. */
  public static final String NAME = "hvsock";

  /** Creates the transport on junixsocket if its native library loads, else on the JDK. */
  public HybridVsockTransport() {
    this(UnixSockets.Impl.preferred());
  }

  HybridVsockTransport(UnixSockets.Impl impl) {
    super(NAME, HybridVsockEndpoint.class, impl);
  }

  @Override
  Path socketPath(HybridVsockEndpoint endpoint) {
    return endpoint.unixSocketPath();
  }
}
