/**
 * Socket-level helpers of the vsock module: {@link dev.spantransport.vsock.socket.VsockSupport}
 * (can AF_VSOCK be used here?) and {@link dev.spantransport.vsock.socket.SocketFiles} (the socket
 * files of Unix and hybrid vsock listeners). The transports themselves are reached through {@link
 * dev.spantransport.spi.SpanTransports}.
 */
package dev.spantransport.vsock.socket;
