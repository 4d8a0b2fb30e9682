package dev.spantransport.spi;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Opens connections and listeners for one kind of {@link Endpoint}. The guest exporter and the host
 * receiver speak the wire protocol over the channels a transport returns, without knowing the
 * socket type.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader} (listed in {@code
 * META-INF/services/dev.spantransport.spi.SpanTransport}); use {@link
 * SpanTransports#forEndpoint(Endpoint)} to pick one. Implementations are thread-safe and hold no
 * per-connection state.
 *
 * <p>Channels are plain NIO channels, but their {@link java.nio.channels.spi.SelectorProvider} may
 * not be the JDK's default one (AF_VSOCK channels come from junixsocket). Always open a selector
 * with {@code channel.provider().openSelector()}, and register with one selector only channels that
 * share its provider.
 */
public interface SpanTransport {

  /**
   * Returns this transport's name, which is also the {@link PeerAttributes#TRANSPORT} value of the
   * identities it reports, e.g. {@code vsock}.
   *
   * @return the name
   */
  String name();

  /**
   * Returns whether this transport can connect to and listen on the endpoint.
   *
   * @param endpoint any endpoint
   * @return true if {@link #connect} and {@link #listen} accept it
   */
  boolean supports(Endpoint endpoint);

  /**
   * Opens a connection to the endpoint, waiting at most {@code timeout} for it to be established.
   *
   * <p>The returned channel is connected and in blocking mode. The caller owns it: it may switch it
   * to non-blocking mode and register it with a selector from {@code
   * channel.provider().openSelector()}, and must close it.
   *
   * @param endpoint where to connect; must be {@linkplain #supports supported}
   * @param timeout the longest wait for the connection, positive
   * @return the connected channel
   * @throws IOException if the connection cannot be made in time; the message names the endpoint
   * @throws IllegalArgumentException if the endpoint is not supported or cannot be connected to
   *     (e.g. the vsock CID {@code any})
   */
  SocketChannel connect(Endpoint endpoint, Duration timeout) throws IOException;

  /**
   * Opens a listener on the endpoint.
   *
   * <p>The returned channel is bound, listening and in blocking mode. It may be switched to
   * non-blocking mode and registered for {@code OP_ACCEPT} with a selector from {@code
   * channel.provider().openSelector()}, so one thread can serve thousands of connections; the
   * channels it accepts are selectable with the same selector. The caller owns it and must close
   * it. Transports that create a file (Unix sockets) remove a stale socket file left by a dead
   * listener, refuse to take over a live one, and document what happens to the file on close.
   *
   * @param endpoint where to listen; must be {@linkplain #supports supported}
   * @return the listening channel
   * @throws IOException if the listener cannot be opened; the message names the endpoint
   * @throws IllegalArgumentException if the endpoint is not supported
   */
  ServerSocketChannel listen(Endpoint endpoint) throws IOException;

  /**
   * Returns who is on the other end of an accepted connection, as the operating system reports it
   * (never from bytes the peer sent). The keys are listed in {@link PeerAttributes}.
   *
   * @param accepted a channel accepted from a listener this transport opened
   * @param listenedOn the endpoint that listener was opened on
   * @return the peer's identity
   * @throws IOException if the socket cannot be queried (e.g. it is already closed)
   */
  PeerIdentity peerIdentity(SocketChannel accepted, Endpoint listenedOn) throws IOException;
}
