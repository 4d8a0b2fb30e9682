/**
 * The host side of span-transport: {@link dev.spantransport.vsock.host.SpanReceiver} accepts many
 * guests over VSOCK, hybrid vsock, Unix or TCP sockets and hands their span batches to {@link
 * dev.spantransport.sink.SpanSink}s, tagged with a guest identity that comes from the transport.
 */
package dev.spantransport.vsock.host;
