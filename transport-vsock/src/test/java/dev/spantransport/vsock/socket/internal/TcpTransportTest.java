package dev.spantransport.vsock.socket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.TcpEndpoint;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import org.junit.jupiter.api.Test;

class TcpTransportTest extends SpanTransportContract {

  @Override
  SpanTransport transport() {
    return new TcpTransport();
  }

  @Override
  Endpoint endpoint() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return new TcpEndpoint("127.0.0.1", s.getLocalPort());
    }
  }

  @Override
  void checkPeer(PeerIdentity identity, Endpoint endpoint) {
    assertEquals("127.0.0.1", identity.attributes().get(PeerAttributes.ADDRESS));
    Long port = identity.attributes().get(PeerAttributes.PORT);
    assertNotNull(port);
    assertTrue(port > 0 && port != ((TcpEndpoint) endpoint).port(), "peer's own port: " + port);
  }

  @Test
  void listenFailureNamesTheEndpoint() throws IOException {
    Endpoint endpoint = endpoint();
    try (ServerSocketChannel first = transport().listen(endpoint)) {
      IOException e = assertThrows(IOException.class, () -> transport().listen(endpoint));
      assertTrue(e.getMessage().startsWith("cannot listen on " + endpoint + ": "), e.getMessage());
    }
  }

  @Test
  void connectFailureNamesTheEndpoint() throws IOException {
    Endpoint endpoint = endpoint();
    IOException e = assertThrows(IOException.class, () -> transport().connect(endpoint, TIMEOUT));
    assertTrue(e.getMessage().startsWith("cannot connect to " + endpoint + ": "), e.getMessage());
  }
}
