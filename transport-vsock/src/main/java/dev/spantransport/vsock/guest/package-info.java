/**
 * The guest side of span-transport: {@link dev.spantransport.vsock.guest.VsockSpanExporter}, an
 * OpenTelemetry {@code SpanExporter} that sends spans to the VM host over VSOCK (or any endpoint a
 * {@code SpanTransport} supports), and its autoconfigure provider.
 */
package dev.spantransport.vsock.guest;
