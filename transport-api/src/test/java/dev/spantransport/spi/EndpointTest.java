package dev.spantransport.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

  @Test
  void parsesVsockWithNumericCid() {
    assertEquals(new VsockEndpoint(2, 10240), Endpoint.parse("vsock://2:10240"));
  }

  @Test
  void parsesVsockAnyAsCidAny() {
    VsockEndpoint e = (VsockEndpoint) Endpoint.parse("vsock://any:10240");
    assertEquals(VsockEndpoint.VMADDR_CID_ANY, e.cid());
    assertTrue(e.isAnyCid());
    assertEquals(VsockEndpoint.anyCid(10240), e);
  }

  @Test
  void parsesVsockLimits() {
    assertEquals(new VsockEndpoint(0, 4294967294L), Endpoint.parse("vsock://0:4294967294"));
    assertEquals("vsock://any:1", Endpoint.parse("vsock://4294967295:1").toString());
  }

  @Test
  void parsesHybridVsockWithPortAfterLastColon() {
    HybridVsockEndpoint e = (HybridVsockEndpoint) Endpoint.parse("hvsock:/run/a:b/v.sock:10240");
    assertEquals(Path.of("/run/a:b/v.sock"), e.socketPath());
    assertEquals(10240, e.port());
    assertEquals(Path.of("/run/a:b/v.sock_10240"), e.unixSocketPath());
  }

  @Test
  void parsesKataStyleHybridVsockUrl() {
    assertEquals(
        new HybridVsockEndpoint(Path.of("/run/vc/kata.hvsock"), 1024),
        Endpoint.parse("hvsock:///run/vc/kata.hvsock:1024"));
  }

  @Test
  void parsesUnixPaths() {
    assertEquals(
        new UnixEndpoint(Path.of("/run/spans.sock")), Endpoint.parse("unix:/run/spans.sock"));
    assertEquals(
        new UnixEndpoint(Path.of("/run/spans.sock")), Endpoint.parse("unix:///run/spans.sock"));
    assertEquals(new UnixEndpoint(Path.of("spans.sock")), Endpoint.parse("unix:spans.sock"));
  }

  @Test
  void parsesTcpHostsAndIpv6InBrackets() {
    assertEquals(new TcpEndpoint("127.0.0.1", 4319), Endpoint.parse("tcp://127.0.0.1:4319"));
    assertEquals(new TcpEndpoint("localhost", 1), Endpoint.parse("tcp://localhost:1"));
    assertEquals(new TcpEndpoint("::1", 65535), Endpoint.parse("tcp://[::1]:65535"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "vsock://2:10240",
        "vsock://any:1",
        "vsock://0:4294967294",
        "hvsock:/run/vm/v.sock:10240",
        "hvsock:relative/v.sock:7",
        "unix:/run/spans.sock",
        "unix:spans.sock",
        "tcp://127.0.0.1:4319",
        "tcp://[::1]:4319",
        "tcp://example.org:80"
      })
  void canonicalFormRoundTrips(String text) {
    Endpoint parsed = Endpoint.parse(text);
    assertEquals(text, parsed.toString());
    assertEquals(parsed, Endpoint.parse(parsed.toString()));
  }

  @Test
  void schemeNamesTheForm() {
    assertEquals("vsock", Endpoint.parse("vsock://2:1").scheme());
    assertEquals("hvsock", Endpoint.parse("hvsock:/x:1").scheme());
    assertEquals("unix", Endpoint.parse("unix:/x").scheme());
    assertEquals("tcp", Endpoint.parse("tcp://h:1").scheme());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''|endpoint must not be empty",
        "/tmp/x.sock|endpoint must start with a scheme",
        "ftp://h:1|unknown endpoint scheme 'ftp'",
        "vsock:2:1024|vsock endpoint must be vsock://CID:PORT: vsock:2:1024",
        "vsock://2|vsock endpoint must be vsock://CID:PORT (port missing): vsock://2",
        "vsock://:1024|vsock endpoint must be vsock://CID:PORT (CID missing): vsock://:1024",
        "vsock://2:|vsock port is missing: vsock://2:",
        "vsock://x:1024|vsock CID must be a number between 0 and 4294967295 or 'any': x",
        "vsock://-1:1024|vsock CID must be a number between 0 and 4294967295 or 'any': -1",
        "vsock://4294967296:1024|vsock CID must be between 0 and 4294967295: 4294967296",
        "vsock://99999999999999999999999:1|vsock CID must be between 0 and 4294967295: 99999999999999999999999",
        "vsock://2:http|vsock port must be a number between 1 and 4294967294: http",
        "vsock://2:0|vsock port must be between 1 and 4294967294: 0",
        "vsock://2:4294967295|vsock port must be between 1 and 4294967294: 4294967295",
        "vsock://2:+5|vsock port must be a number between 1 and 4294967294: +5",
        "hvsock:/run/v.sock|hybrid vsock endpoint must be hvsock:PATH:PORT (port missing)",
        "hvsock::1024|hybrid vsock socket path must not be empty: hvsock::1024",
        "hvsock:/run/v.sock:0|vsock port must be between 1 and 4294967294: 0",
        "hvsock:/run/v.sock:abc|vsock port must be a number between 1 and 4294967294: abc",
        "unix:|unix socket path must not be empty: unix:",
        "unix:/a\u0000b|unix socket path must be a valid path",
        "tcp:h:1|tcp endpoint must be tcp://HOST:PORT: tcp:h:1",
        "tcp://h|tcp endpoint must be tcp://HOST:PORT (port missing): tcp://h",
        "tcp://:1|tcp endpoint must be tcp://HOST:PORT (host missing): tcp://:1",
        "tcp://h:|tcp endpoint must be tcp://HOST:PORT (port missing): tcp://h:",
        "tcp://h:0|tcp port must be between 1 and 65535: 0",
        "tcp://h:65536|tcp port must be between 1 and 65535: 65536",
        "tcp://h:p|tcp port must be a number between 1 and 65535: p",
        "tcp://::1:80|tcp endpoint must write an IPv6 address in brackets",
        "tcp://[::1]80|tcp endpoint with an IPv6 address must be tcp://[ADDRESS]:PORT",
      })
  void rejectsBadFormWithRuleAndValue(String text, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text));
    assertTrue(
        e.getMessage().startsWith(message),
        () -> "message for '" + text + "' was: " + e.getMessage());
  }

  @Test
  void recordsValidateInTheirConstructors() {
    assertEquals(
        "vsock CID must be between 0 and 4294967295: -1",
        assertThrows(IllegalArgumentException.class, () -> new VsockEndpoint(-1, 1)).getMessage());
    assertEquals(
        "vsock port must be between 1 and 4294967294: 0",
        assertThrows(IllegalArgumentException.class, () -> new VsockEndpoint(2, 0)).getMessage());
    assertEquals(
        "vsock port must be between 1 and 4294967294: 4294967295",
        assertThrows(
                IllegalArgumentException.class,
                () -> new HybridVsockEndpoint(Path.of("/x"), 4294967295L))
            .getMessage());
    assertEquals(
        "hybrid vsock socket path must not be empty",
        assertThrows(IllegalArgumentException.class, () -> new HybridVsockEndpoint(Path.of(""), 1))
            .getMessage());
    assertEquals(
        "unix socket path must not be empty",
        assertThrows(IllegalArgumentException.class, () -> new UnixEndpoint(Path.of("")))
            .getMessage());
    assertEquals(
        "tcp port must be between 1 and 65535: 70000",
        assertThrows(IllegalArgumentException.class, () -> new TcpEndpoint("h", 70000))
            .getMessage());
    assertEquals(
        "tcp host must not be empty",
        assertThrows(IllegalArgumentException.class, () -> new TcpEndpoint("", 1)).getMessage());
  }
}
