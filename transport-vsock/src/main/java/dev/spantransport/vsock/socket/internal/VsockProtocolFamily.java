package dev.spantransport.vsock.socket.internal;

import java.net.ProtocolFamily;

/**
 * The AF_VSOCK protocol family, as {@link VsockSelectorProvider} reports it.
 *
 * <p>Internal, may change.
 */
enum VsockProtocolFamily implements ProtocolFamily {
  /** AF_VSOCK (virtio-vsock, VMCI, Hyper-V sockets). */
  VSOCK
}
