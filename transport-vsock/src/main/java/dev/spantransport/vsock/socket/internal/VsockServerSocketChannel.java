package dev.spantransport.vsock.socket.internal;

import org.newsclub.net.unix.AFServerSocketChannel;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * A selectable AF_VSOCK listening channel; select it with a selector from {@link
 * VsockSelectorProvider}.
 *
 * <p>Internal, may change.
 */
public final class VsockServerSocketChannel extends AFServerSocketChannel<AFVSOCKSocketAddress> {
  VsockServerSocketChannel(VsockServerSocket socket) {
    super(socket, VsockSelectorProvider.INSTANCE);
  }
}
