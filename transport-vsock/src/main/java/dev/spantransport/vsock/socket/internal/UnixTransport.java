package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.UnixEndpoint;
import java.nio.file.Path;

/**
 * The Unix domain socket transport ({@code unix:PATH}). Stale socket files, permissions, peer
 * credentials and the two implementations are described in {@link UnixSockets}.
 *
 * <p>Internal, may change.
 */
public final class UnixTransport extends UnixPathTransport<UnixEndpoint> {

  /** The transport name, also the peer identity's transport attribute. */
  public static final String NAME = "unix";

  /** Creates the transport on junixsocket if its native library loads, else on the JDK. */
  public UnixTransport() {
    this(UnixSockets.Impl.preferred());
  }

  UnixTransport(UnixSockets.Impl impl) {
    super(NAME, UnixEndpoint.class, impl);
  }

  @Override
  Path socketPath(UnixEndpoint endpoint) {
    return endpoint.path();
  }
}
