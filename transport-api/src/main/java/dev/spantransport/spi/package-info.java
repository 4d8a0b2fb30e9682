/**
 * The transport SPI: typed endpoints, the {@link dev.spantransport.spi.SpanTransport} that opens
 * connections and listeners for them, and the {@link dev.spantransport.spi.PeerIdentity} of an
 * accepted connection as the operating system reports it.
 *
 * <p>Transports are found with {@link java.util.ServiceLoader}; {@link
 * dev.spantransport.spi.SpanTransports#forEndpoint(Endpoint)} picks the one for an endpoint.
 */
package dev.spantransport.spi;
