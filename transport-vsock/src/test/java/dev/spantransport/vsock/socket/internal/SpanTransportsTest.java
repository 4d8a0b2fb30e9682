package dev.spantransport.vsock.socket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.SpanTransports;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpanTransportsTest {

  @ParameterizedTest
  @CsvSource({
    "vsock://2:10240, vsock",
    "vsock://any:10240, vsock",
    "hvsock:/run/vm/v.sock:10240, hvsock",
    "unix:/run/spans.sock, unix",
    "tcp://127.0.0.1:4319, tcp"
  })
  void picksTransportForEachEndpoint(String endpoint, String name) {
    SpanTransport transport = SpanTransports.forEndpoint(Endpoint.parse(endpoint));
    assertEquals(name, transport.name());
  }

  @Test
  void loadsEveryTransportOnceThroughServiceLoader() {
    List<SpanTransport> all = SpanTransports.all();
    assertEquals(
        List.of("vsock", "hvsock", "unix", "tcp"),
        all.stream().map(SpanTransport::name).collect(Collectors.toList()));
    assertSame(all, SpanTransports.all());
    assertSame(all.get(0), SpanTransports.forEndpoint(Endpoint.parse("vsock://3:1")));
    assertInstanceOf(VsockTransport.class, all.get(0));
  }
}
