package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.VsockEndpoint;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * The AF_VSOCK transport ({@code vsock://CID:PORT}), on junixsocket's native code and our socket
 * classes in this package.
 *
 * <p>Channels come from {@link VsockSelectorProvider}. If AF_VSOCK cannot be used on this platform
 * (no native library for this OS/arch, or no AF_VSOCK in the kernel), {@link #connect} and {@link
 * #listen} throw {@link UnsupportedOperationException} naming the platform; the other transports
 * are unaffected. The peer identity is the CID and port of the accepted socket's remote address.
 *
 * <p>Internal, may change.
 */
public final class VsockTransport implements SpanTransport {

  /** The transport name, also the {@link PeerAttributes#TRANSPORT} value. */
  public static final String NAME = "vsock";

  /** Creates the transport; nothing native is touched until the first connect or listen. */
  public VsockTransport() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean supports(Endpoint endpoint) {
    return endpoint instanceof VsockEndpoint;
  }

  /**
   * Connects to {@code vsock://CID:PORT}. The CID {@code any} is rejected: it is for listening.
   *
   * <p>Never call this on a machine whose vsock peers are not yours to reach.
   */
  @Override
  public SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException {
    VsockEndpoint e = Transports.require(this, endpoint, VsockEndpoint.class);
    int millis = Transports.timeoutMillis(timeout);
    if (e.isAnyCid()) {
      throw new IllegalArgumentException(
          "cannot connect to CID any (VMADDR_CID_ANY), which is only for listening: " + e);
    }
    return Transports.openedOrClosed(
            VsockSocket.open(),
            "cannot connect to",
            e,
            socket -> socket.connect(address(e), millis))
        .getChannel();
  }

  @Override
  public ServerSocketChannel listen(Endpoint endpoint) throws IOException {
    VsockEndpoint e = Transports.require(this, endpoint, VsockEndpoint.class);
    return Transports.openedOrClosed(
        VsockServerSocket.open().getChannel(),
        "cannot listen on",
        e,
        channel -> channel.bind(address(e), Transports.BACKLOG));
  }

  @Override
  public PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn) throws IOException {
    if (!(accepted instanceof VsockSocketChannel)) {
      throw new IllegalArgumentException(
          "not an AF_VSOCK channel from the vsock transport: " + accepted);
    }
    AFVSOCKSocketAddress remote = ((VsockSocketChannel) accepted).getRemoteAddress();
    if (remote == null) {
      throw new IOException("AF_VSOCK channel has no remote address (not connected): " + accepted);
    }
    return PeerIdentity.create(
        NAME,
        Attributes.of(
            PeerAttributes.CID,
            Integer.toUnsignedLong(remote.getVSOCKCID()),
            PeerAttributes.PORT,
            Integer.toUnsignedLong(remote.getVSOCKPort())));
  }

  /** CID and port are unsigned 32-bit; junixsocket takes them as (two's complement) ints. */
  private static AFVSOCKSocketAddress address(VsockEndpoint e) throws IOException {
    return AFVSOCKSocketAddress.ofPortAndCID((int) e.port(), (int) e.cid());
  }

  @Override
  public String toString() {
    return "VsockTransport{name=" + NAME + "}";
  }
}
