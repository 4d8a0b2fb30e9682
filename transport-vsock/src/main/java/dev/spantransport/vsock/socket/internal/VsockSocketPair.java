package dev.spantransport.vsock.socket.internal;

import org.newsclub.net.unix.AFSocketPair;
import org.newsclub.net.unix.AFSomeSocket;

/**
 * A pair of connected AF_VSOCK sockets, as junixsocket's selector provider builds them.
 *
 * <p>Internal, may change.
 *
 * @param <T> the socket or channel type
 */
final class VsockSocketPair<T extends AFSomeSocket> extends AFSocketPair<T> {
  VsockSocketPair(T first, T second) {
    super(first, second);
  }
}
