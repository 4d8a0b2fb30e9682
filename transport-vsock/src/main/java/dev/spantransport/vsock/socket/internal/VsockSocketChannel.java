package dev.spantransport.vsock.socket.internal;

import org.newsclub.net.unix.AFSocketChannel;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * A selectable AF_VSOCK stream channel; select it with a selector from {@link
 * VsockSelectorProvider}.
 *
 * <p>Internal, may change.
 */
public final class VsockSocketChannel extends AFSocketChannel<AFVSOCKSocketAddress> {
  VsockSocketChannel(VsockSocket socket) {
    super(socket, VsockSelectorProvider.INSTANCE);
  }
}
