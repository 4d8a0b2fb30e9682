package dev.spantransport.vsock.socket.internal;

import java.io.FileDescriptor;
import org.newsclub.net.unix.AFDatagramSocketImpl;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * The AF_VSOCK datagram implementation. span-transport only uses stream sockets; this class exists
 * because junixsocket's family registration requires datagram classes.
 *
 * <p>Internal, may change.
 */
final class VsockDatagramSocketImpl extends AFDatagramSocketImpl<AFVSOCKSocketAddress> {
  VsockDatagramSocketImpl(FileDescriptor fd, AFSocketType type) {
    super(VsockFamily.family(), fd, type);
  }
}
