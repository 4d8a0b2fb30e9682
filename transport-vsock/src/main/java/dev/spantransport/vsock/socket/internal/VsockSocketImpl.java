package dev.spantransport.vsock.socket.internal;

import java.io.FileDescriptor;
import org.newsclub.net.unix.AFSocketImpl;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * The AF_VSOCK stream socket implementation: junixsocket's native code, bound to our registered
 * address family.
 *
 * <p>Internal, may change.
 */
final class VsockSocketImpl extends AFSocketImpl<AFVSOCKSocketAddress> {
  VsockSocketImpl(FileDescriptor fd) {
    super(VsockFamily.family(), fd);
  }
}
