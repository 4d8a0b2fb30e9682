package dev.spantransport.vsock.socket.internal;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import org.newsclub.net.unix.AFAddressFamily;
import org.newsclub.net.unix.AFSelectorProvider;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFSocketPair;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFSomeSocket;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * The selector provider of our AF_VSOCK channels: {@code channel.provider().openSelector()} on any
 * of them returns a junixsocket selector that can select all of them (poll-based).
 *
 * <p>Internal, may change.
 */
public final class VsockSelectorProvider extends AFSelectorProvider<AFVSOCKSocketAddress> {

  /** The one instance; every AF_VSOCK channel of this package reports it as its provider. */
  public static final VsockSelectorProvider INSTANCE = new VsockSelectorProvider();

  private VsockSelectorProvider() {}

  @Override
  protected <Y extends AFSomeSocket> AFSocketPair<Y> newSocketPair(Y first, Y second) {
    return new VsockSocketPair<>(first, second);
  }

  @Override
  protected AFSocket<AFVSOCKSocketAddress> newSocket() throws IOException {
    return VsockSocket.open();
  }

  @Override
  protected ProtocolFamily protocolFamily() {
    return VsockProtocolFamily.VSOCK;
  }

  @Override
  protected AFAddressFamily<AFVSOCKSocketAddress> addressFamily() {
    return VsockFamily.family();
  }

  @Override
  public VsockDatagramChannel openDatagramChannel() throws IOException {
    return VsockDatagramSocket.open(AFSocketType.SOCK_DGRAM).getChannel();
  }

  @Override
  public VsockDatagramChannel openDatagramChannel(AFSocketType type) throws IOException {
    return VsockDatagramSocket.open(type).getChannel();
  }

  @Override
  public VsockServerSocketChannel openServerSocketChannel() throws IOException {
    return VsockServerSocket.open().getChannel();
  }

  @Override
  public VsockServerSocketChannel openServerSocketChannel(SocketAddress address)
      throws IOException {
    return VsockServerSocket.bindOn(AFVSOCKSocketAddress.unwrap(address)).getChannel();
  }

  @Override
  public VsockSocketChannel openSocketChannel() throws IOException {
    return VsockSocket.open().getChannel();
  }

  /**
   * Opens a channel connected to {@code address}. Only meaningful inside a guest (or on a host with
   * guests); span-transport's own code connects through {@link VsockTransport}.
   */
  @Override
  public VsockSocketChannel openSocketChannel(SocketAddress address) throws IOException {
    VsockSocket socket = VsockSocket.open();
    try {
      socket.connect(AFVSOCKSocketAddress.unwrap(address));
      return socket.getChannel();
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }
}
