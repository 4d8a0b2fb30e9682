package dev.spantransport.vsock.socket.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import org.newsclub.net.unix.AFServerSocket;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFSocketImpl;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * An AF_VSOCK listening socket; use its {@link #getChannel() channel} for NIO.
 *
 * <p>Internal, may change.
 */
public final class VsockServerSocket extends AFServerSocket<AFVSOCKSocketAddress> {

  VsockServerSocket(FileDescriptor fd) throws IOException {
    super(fd);
  }

  /**
   * Returns a new, unbound AF_VSOCK listening socket.
   *
   * @return the socket
   * @throws IOException if the socket cannot be created
   * @throws UnsupportedOperationException if AF_VSOCK is not available on this platform
   */
  public static VsockServerSocket open() throws IOException {
    VsockFamily.family();
    return (VsockServerSocket) AFServerSocket.newInstance(VsockServerSocket::new);
  }

  static VsockServerSocket bindOn(AFVSOCKSocketAddress address) throws IOException {
    VsockFamily.family();
    return (VsockServerSocket) AFServerSocket.bindOn(VsockServerSocket::new, address);
  }

  @Override
  protected VsockServerSocketChannel newChannel() {
    return new VsockServerSocketChannel(this);
  }

  @Override
  public VsockServerSocketChannel getChannel() {
    return (VsockServerSocketChannel) super.getChannel();
  }

  @Override
  protected AFSocketImpl<AFVSOCKSocketAddress> newImpl(FileDescriptor fd) {
    return new VsockSocketImpl(fd);
  }

  @Override
  protected AFSocket<AFVSOCKSocketAddress> newSocketInstance() throws IOException {
    return VsockSocket.open();
  }
}
