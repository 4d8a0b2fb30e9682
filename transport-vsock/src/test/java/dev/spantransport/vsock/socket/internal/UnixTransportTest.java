package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.UnixEndpoint;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(UnixSockets.Impl.class)
class UnixTransportTest extends UnixSocketContract {

  UnixTransportTest(UnixSockets.Impl impl) {
    super(impl);
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
