package dev.spantransport.vsock.socket.internal;

import org.newsclub.net.unix.AFDatagramChannel;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * An AF_VSOCK datagram channel. Not used by span-transport (see {@link VsockDatagramSocketImpl});
 * required by junixsocket's family registration.
 *
 * <p>Internal, may change.
 */
final class VsockDatagramChannel extends AFDatagramChannel<AFVSOCKSocketAddress> {
  VsockDatagramChannel(VsockDatagramSocket socket) {
    super(VsockSelectorProvider.INSTANCE, socket);
  }
}
