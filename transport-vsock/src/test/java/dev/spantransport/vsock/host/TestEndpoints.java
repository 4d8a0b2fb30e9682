package dev.spantransport.vsock.host;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.TcpEndpoint;
import dev.spantransport.spi.UnixEndpoint;
import java.nio.file.Path;

/** Builds endpoints for tests in one place. */
final class TestEndpoints {

  private TestEndpoints() {}

  static Endpoint unix(Path file) {
    return new UnixEndpoint(file);
  }

  static Endpoint hybrid(Path udsPath, int port) {
    return new HybridVsockEndpoint(udsPath, port);
  }

  static Endpoint tcp(int port) {
    return new TcpEndpoint("127.0.0.1", port);
  }
}
