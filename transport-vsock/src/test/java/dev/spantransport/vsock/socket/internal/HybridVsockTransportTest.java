package dev.spantransport.vsock.socket.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.SpanTransport;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(UnixSockets.Impl.class)
class HybridVsockTransportTest extends UnixSocketContract {

  HybridVsockTransportTest(UnixSockets.Impl impl) {
    super(impl);
  }

  @Override
  SpanTransport transport() {
    return new HybridVsockTransport(impl());
  }

  @Override
  Endpoint endpointIn(Path dir, String name) {
    return new HybridVsockEndpoint(dir.resolve(name), 10240);
  }

  @Test
  void listensOnUnixSocketNamedAfterThePort() throws IOException {
    HybridVsockEndpoint endpoint = new HybridVsockEndpoint(dir.resolve("v.sock"), 1024);
    try (ServerSocketChannel server = transport().listen(endpoint)) {
      assertTrue(Files.exists(dir.resolve("v.sock_1024")));
      assertTrue(Files.notExists(dir.resolve("v.sock")));
    }
  }
}
