package dev.spantransport.vsock.socket.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import org.newsclub.net.unix.AFDatagramSocket;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * An AF_VSOCK datagram socket. Not used by span-transport (see {@link VsockDatagramSocketImpl});
 * required by junixsocket's family registration.
 *
 * <p>Internal, may change.
 */
final class VsockDatagramSocket extends AFDatagramSocket<AFVSOCKSocketAddress> {

  VsockDatagramSocket(FileDescriptor fd) {
    this(fd, AFSocketType.SOCK_DGRAM);
  }

  VsockDatagramSocket(FileDescriptor fd, AFSocketType type) {
    super(new VsockDatagramSocketImpl(fd, type));
  }

  static VsockDatagramSocket open(AFSocketType type) throws IOException {
    VsockFamily.family();
    return (VsockDatagramSocket)
        AFDatagramSocket.newInstance((FileDescriptor fd) -> new VsockDatagramSocket(fd, type));
  }

  @Override
  protected VsockDatagramChannel newChannel() {
    return new VsockDatagramChannel(this);
  }

  @Override
  public VsockDatagramChannel getChannel() {
    return (VsockDatagramChannel) super.getChannel();
  }

  @Override
  protected AFDatagramSocket<AFVSOCKSocketAddress> newDatagramSocketInstance() throws IOException {
    return open(AFSocketType.SOCK_DGRAM);
  }
}
