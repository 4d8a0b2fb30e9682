package dev.spantransport.vsock.host.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;

/**
 * One bound listen endpoint: its channel, the transport that made it and, for unix and hybrid
 * vsock, the socket file to delete on shutdown.
 *
 * <p>This class is internal and may change without notice.
 *
 * @param endpoint the configured endpoint
 * @param transport the transport that bound it
 * @param channel the listening channel
 * @param socketFile the socket file, or null for vsock and tcp
 */
public record Listener(
    Endpoint endpoint, SpanTransport transport, ServerSocketChannel channel, Path socketFile) {}
