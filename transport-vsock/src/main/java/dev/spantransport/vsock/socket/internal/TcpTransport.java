package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.TcpEndpoint;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * The TCP transport ({@code tcp://HOST:PORT}) on the JDK's channels, for development and tests.
 * Connections get {@code TCP_NODELAY}. The peer identity is the remote IP address and port.
 *
 * <p>Internal, may change.
 */
public final class TcpTransport implements SpanTransport {

  /** The transport name, also the peer identity's transport attribute. */
  public static final String NAME = "tcp";

  /** Creates the transport. */
  public TcpTransport() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean supports(Endpoint endpoint) {
    return endpoint instanceof TcpEndpoint;
  }

  @Override
  public SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException {
    TcpEndpoint e = Transports.require(this, endpoint, TcpEndpoint.class);
    int millis = Transports.timeoutMillis(timeout);
    return Transports.openedOrClosed(
        SocketChannel.open(),
        "cannot connect to",
        e,
        channel -> {
          channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
          channel.socket().connect(new InetSocketAddress(e.host(), e.port()), millis);
        });
  }

  @Override
  public ServerSocketChannel listen(Endpoint endpoint) throws IOException {
    TcpEndpoint e = Transports.require(this, endpoint, TcpEndpoint.class);
    return Transports.openedOrClosed(
        ServerSocketChannel.open(),
        "cannot listen on",
        e,
        channel -> channel.bind(new InetSocketAddress(e.host(), e.port()), Transports.BACKLOG));
  }

  @Override
  public PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn) throws IOException {
    SocketAddress remote = accepted.getRemoteAddress();
    if (!(remote instanceof InetSocketAddress)) {
      throw new IllegalArgumentException("not a connected TCP channel: " + accepted);
    }
    InetSocketAddress inet = (InetSocketAddress) remote;
    return PeerIdentity.create(
        NAME,
        Attributes.of(
            PeerAttributes.ADDRESS,
            inet.getAddress().getHostAddress(),
            PeerAttributes.PORT,
            (long) inet.getPort()));
  }

  @Override
  public String toString() {
    return "TcpTransport{name=" + NAME + "}";
  }
}
