package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.UnixEndpoint;
import java.nio.file.Path;

class UnixTransportTest extends UnixSocketContract {

  @Override
  UnixSockets.Impl impl() {
    return UnixSockets.Impl.JUNIXSOCKET;
  }

  @Override
  SpanTransport transport() {
    return new UnixTransport(impl());
  }

  @Override
  Endpoint endpointIn(Path dir, String name) {
    return new UnixEndpoint(dir.resolve(name));
  }
}
