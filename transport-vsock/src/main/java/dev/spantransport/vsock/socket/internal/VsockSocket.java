package dev.spantransport.vsock.socket.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketException;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFSocketFactory;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * An AF_VSOCK stream socket; use its {@link #getChannel() channel} for NIO.
 *
 * <p>Internal, may change.
 */
public final class VsockSocket extends AFSocket<AFVSOCKSocketAddress> {

  VsockSocket(FileDescriptor fd, AFSocketFactory<AFVSOCKSocketAddress> factory)
      throws SocketException {
    super(new VsockSocketImpl(fd), factory);
  }

  /**
   * Returns a new, unconnected AF_VSOCK socket.
   *
   * @return the socket
   * @throws IOException if the socket cannot be created
   * @throws UnsupportedOperationException if AF_VSOCK is not available on this platform
   */
  public static VsockSocket open() throws IOException {
    VsockFamily.family();
    return (VsockSocket)
        AFSocket.newInstance(VsockSocket::new, (AFSocketFactory<AFVSOCKSocketAddress>) null);
  }

  @Override
  protected VsockSocketChannel newChannel() {
    return new VsockSocketChannel(this);
  }

  @Override
  public VsockSocketChannel getChannel() {
    return (VsockSocketChannel) super.getChannel();
  }
}
