/**
 * The span transports and the AF_VSOCK socket classes behind them. Internal, may change: use {@link
 * dev.spantransport.spi.SpanTransports} and the public types in {@link
 * dev.spantransport.vsock.socket}.
 */
package dev.spantransport.vsock.socket.internal;
