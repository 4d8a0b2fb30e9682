package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.forwarder.internal.ForwarderOptions;
import dev.spantransport.forwarder.internal.UsageException;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.VsockEndpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ForwarderCliTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Forwarder.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsKataFlagsThenOurExtrasUnderTheirOwnHeading() {
    assertEquals(0, run("--help"));
    String help = out.toString(StandardCharsets.UTF_8);
    int kata = help.indexOf("KATA-TRACE-FORWARDER FLAGS");
    int extras = help.indexOf("SPAN-TRANSPORT EXTRAS");
    assertTrue(kata >= 0 && extras > kata, help);
    for (String flag :
        List.of(
            "--dump-only",
            "--trace-name",
            "--otlp-endpoint",
            "--log-level",
            "--socket-path",
            "--vsock-cid",
            "--vsock-port",
            "--help",
            "--version")) {
      int at = help.indexOf(flag);
      assertTrue(at > kata && at < extras, flag + " belongs under the Kata heading");
    }
    for (String flag :
        List.of(
            "--zipkin-endpoint",
            "--listen",
            "--max-frame-bytes",
            "--metrics-interval",
            "--kafka-brokers",
            "--kafka-topic",
            "--kafka-key",
            "--kafka-property",
            "--admin-listen",
            "--unhealthy-after",
            "--log-format")) {
      assertTrue(help.indexOf(flag) > extras, flag + " belongs under the extras heading");
    }
    for (String flag : List.of("--jaeger-host", "--jaeger-port")) {
      int at = help.indexOf(flag);
      assertTrue(at > kata && at < extras, flag + " belongs under the Kata heading");
    }
    assertTrue(help.contains("[default: 127.0.0.1]"), help);
    assertTrue(help.contains("[default: 6831]"), help);
    assertTrue(help.contains("[default: kata-agent]"));
    assertTrue(help.contains("[default: http://localhost:4317]"));
    assertTrue(help.contains("[default: 10240]"));
    assertEquals(0, run("-h"));
  }

  @Test
  void versionPrintsProgramNameAndVersion() {
    assertEquals(0, run("--version"));
    assertEquals(
        "span-transport-forwarder " + Forwarder.version() + "\n",
        out.toString(StandardCharsets.UTF_8));
    out.reset();
    assertEquals(0, run("-V"));
    assertEquals(
        "span-transport-forwarder " + Forwarder.version() + "\n",
        out.toString(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--vsock-port|0|VSOCK port number cannot be zero: 0",
        "--vsock-port||VSOCK port cannot be empty",
        "--vsock-port|1 foo|VSOCK port number must be an integer: '1 foo'",
        "--vsock-port|4294967296|VSOCK port number must be an integer below 2^32",
        "--vsock-cid||VSOCK CID cannot be empty",
        "--vsock-cid|x|VSOCK CID must be an integer (or \"any\"): 'x'",
        "--trace-name||trace name must not be blank",
        "--socket-path||Hybrid VSOCK socket path cannot be empty",
        "--otlp-endpoint||OTLP endpoint cannot be blank",
        "--otlp-endpoint|localhost:4317|--otlp-endpoint must start with http:// or https://",
        "--max-frame-bytes|12|--max-frame-bytes must be between 1024 and 67108864: 12",
        "--listen|vsock://any:0|--listen: ",
        "--kafka-brokers|kafka|--kafka-*: bootstrapServers must be HOST:PORT[,HOST:PORT...]: kafka",
        "--kafka-topic|otlp spans|--kafka-*: topic must be 1 to 249 of [a-zA-Z0-9._-]",
        "--kafka-property|linger.ms|--kafka-property must be KEY=VALUE: 'linger.ms'",
        "--kafka-property|acks=1|--kafka-*: acks must be all",
      })
  void rejectsBadValueWithRuleAndExitCodeOne(String flag, String value, String message) {
    assertEquals(1, run(flag, value == null ? "" : value));
    assertTrue(err().startsWith("ERROR: "), err());
    assertTrue(err().contains(message), err());
  }

  @Test
  void rejectsMalformedCommandLineWithExitCodeTwo() {
    assertEquals(2, run("--bogus"));
    assertTrue(err().contains("unknown flag (see --help): '--bogus'"), err());
    assertTrue(err().contains("try '--help'"), err());
  }

  @Test
  void rejectsFlagWithoutValueWithExitCodeTwo() {
    assertEquals(2, run("--vsock-port"));
    assertTrue(err().contains("flag needs a value: '--vsock-port'"), err());
  }

  @Test
  void rejectsUnknownLogLevelWithExitCodeTwo() {
    assertEquals(2, run("--log-level", "verbose"));
    assertTrue(
        err().contains("must be one of trace, debug, info, warn, error, critical: 'verbose'"),
        err());
  }

  @Test
  void defaultsMatchKataTraceForwarder() throws UsageException {
    ForwarderOptions o = ForwarderOptions.parse(new String[0]);
    assertEquals("kata-agent", o.traceName());
    assertEquals("http://localhost:4317", o.otlpEndpoint());
    assertEquals("grpc", o.otlpProtocol());
    assertEquals("info", o.logLevel());
    assertEquals(List.of(new VsockEndpoint(VsockEndpoint.VMADDR_CID_ANY, 10240)), o.endpoints());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "-ldebug|",
        "-l|debug",
        "-l=debug|",
        "--log-level|debug",
        "--log-level=debug|",
        "-l|DEBUG",
      })
  void acceptsEveryFormClapAcceptsForTheLogLevel(String first, String second)
      throws UsageException {
    String[] args = second == null ? new String[] {first} : new String[] {first, second};
    assertEquals("debug", ForwarderOptions.parse(args).logLevel());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--trace-name|vm1|--trace-name=vm1",
        "--vsock-port|7|--vsock-port=7",
        "--otlp-endpoint|http://c:4318/v1/traces|--otlp-endpoint=http://c:4318/v1/traces",
      })
  void longFlagsTakeTheirValueAfterASpaceOrAnEqualsSign(String flag, String value, String joined)
      throws UsageException {
    ForwarderOptions spaced = ForwarderOptions.parse(new String[] {flag, value});
    ForwarderOptions equals = ForwarderOptions.parse(new String[] {joined});
    assertEquals(spaced.toString(), equals.toString());
    assertTrue(spaced.toString().contains(value), spaced.toString());
  }

  @Test
  void aFlagGivenTwiceKeepsItsLastValue() throws UsageException {
    ForwarderOptions o =
        ForwarderOptions.parse(new String[] {"--vsock-port", "7", "-l", "warn", "--vsock-port=8"});
    assertEquals(List.of(new VsockEndpoint(VsockEndpoint.VMADDR_CID_ANY, 8)), o.endpoints());
    assertEquals("warn", o.logLevel());
  }

  @Test
  void aValueStartingWithAtIsTakenAsItIsNotAsAnArgumentFile() throws Exception {
    Path file = java.nio.file.Files.writeString(dir.resolve("names"), "expanded\n");
    assertEquals(
        "@" + file, ForwarderOptions.parse(new String[] {"--trace-name", "@" + file}).traceName());
  }

  @Test
  void positionalArgumentIsAUsageError() {
    assertEquals(2, run("debug"));
    assertTrue(err().contains("unexpected argument (this program takes flags only): 'debug'"));
  }

  @Test
  void unknownFlagWithInlineValueIsNamedWithoutTheValue() {
    assertEquals(2, run("--jaeger-hots=h"));
    assertTrue(err().contains("unknown flag (see --help): '--jaeger-hots'"), err());
  }

  @Test
  void jaegerFlagsHaveKatasDefaultsAndReplaceOtlpWhenGiven() throws UsageException {
    ForwarderOptions none = ForwarderOptions.parse(new String[0]);
    assertEquals(false, none.jaegerUsed());
    assertEquals("127.0.0.1", none.jaegerHost());
    assertEquals(6831, none.jaegerPort());
    assertEquals(true, none.otlpUsed());

    ForwarderOptions port = ForwarderOptions.parse(new String[] {"--jaeger-port", "6832"});
    assertEquals(true, port.jaegerUsed());
    assertEquals("127.0.0.1", port.jaegerHost());
    assertEquals(6832, port.jaegerPort());
    assertEquals(false, port.otlpUsed());

    ForwarderOptions both =
        ForwarderOptions.parse(
            new String[] {"--jaeger-host=10.0.0.5", "--otlp-endpoint", "http://c:4317"});
    assertEquals(true, both.jaegerUsed());
    assertEquals("10.0.0.5", both.jaegerHost());
    assertEquals(6831, both.jaegerPort());
    assertEquals(true, both.otlpUsed());

    assertEquals(
        false,
        ForwarderOptions.parse(new String[] {"--jaeger-port", "6832", "--dump-only"}).jaegerUsed());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--jaeger-port|0|Jaeger port number cannot be zero: 0",
        "--jaeger-port|x|Jaeger port number must be an integer: 'x'",
        "--jaeger-port||Jaeger port number must be an integer: ''",
        "--jaeger-port|65536|Jaeger port number must be between 1 and 65535: 65536",
        "--jaeger-host||Jaeger host cannot be blank: ''",
        "--admin-listen|9464|--admin-listen must be HOST:PORT: '9464'",
        "--admin-listen|:9464|--admin-listen must be HOST:PORT: ':9464'",
        "--admin-listen|localhost:x|--admin-listen port must be an integer: 'x'",
        "--admin-listen|localhost:70000|--admin-listen port must be between 0 and 65535: 70000",
        "--unhealthy-after|0|--unhealthy-after must be between 1 and 86400: 0",
      })
  void rejectsBadOperableFlagValuesWithExitCodeOne(String flag, String value, String message) {
    assertEquals(1, run(flag, value == null ? "" : value));
    assertTrue(err().contains("ERROR: " + message), err());
  }

  @Test
  void unknownLogFormatIsAUsageError() {
    assertEquals(2, run("--log-format", "yaml"));
    assertTrue(err().contains("--log-format must be one of text, json: 'yaml'"), err());
  }

  @Test
  void adminListenTakesHostAndPortIncludingIpv6Literals() throws UsageException {
    assertEquals(
        "127.0.0.1:9464",
        hostPort(ForwarderOptions.parse(new String[] {"--admin-listen", "127.0.0.1:9464"})));
    assertEquals(
        "::1:0", hostPort(ForwarderOptions.parse(new String[] {"--admin-listen=[::1]:0"})));
    assertEquals(null, ForwarderOptions.parse(new String[0]).adminListen());
  }

  private static String hostPort(ForwarderOptions o) {
    return o.adminListen().getHostString() + ":" + o.adminListen().getPort();
  }

  @Test
  void socketPathListensOnPathUnderscorePort() throws UsageException {
    ForwarderOptions o =
        ForwarderOptions.parse(
            new String[] {"--socket-path", "/run/vm/kata.hvsock", "--vsock-port", "9"});
    HybridVsockEndpoint e = (HybridVsockEndpoint) o.endpoints().get(0);
    assertEquals(Path.of("/run/vm/kata.hvsock_9"), e.unixSocketPath());
  }

  @Test
  void listenAloneReplacesTheDefaultVsockListener() throws UsageException {
    ForwarderOptions o =
        ForwarderOptions.parse(
            new String[] {"--listen", "unix:/tmp/a.sock", "--listen=tcp://127.0.0.1:4319"});
    assertEquals(
        List.of(Endpoint.parse("unix:/tmp/a.sock"), Endpoint.parse("tcp://127.0.0.1:4319")),
        o.endpoints());
    ForwarderOptions both =
        ForwarderOptions.parse(new String[] {"--listen", "unix:/tmp/a.sock", "--vsock-port", "7"});
    assertEquals(2, both.endpoints().size());
  }

  @Test
  void endpointEndingInV1TracesMeansOtlpHttp() throws UsageException {
    assertEquals(
        "http/protobuf",
        ForwarderOptions.parse(new String[] {"--otlp-endpoint", "http://c:4318/v1/traces"})
            .otlpProtocol());
    assertEquals(
        "http/protobuf",
        ForwarderOptions.parse(
                new String[] {
                  "--otlp-endpoint", "http://c:4318", "--otlp-protocol", "http/protobuf"
                })
            .otlpProtocol());
  }

  @Test
  void zipkinAloneReplacesOtlp() throws UsageException {
    ForwarderOptions o =
        ForwarderOptions.parse(new String[] {"--zipkin-endpoint", "http://z:9411/api/v2/spans"});
    assertEquals(false, o.otlpUsed());
    assertEquals("http://z:9411/api/v2/spans", o.zipkinEndpoint());
  }

  @Test
  void kafkaAloneReplacesOtlpAndEveryKafkaFlagReachesTheSink() throws UsageException {
    ForwarderOptions o =
        ForwarderOptions.parse(
            new String[] {
              "--kafka-brokers", "k1:9092,k2:9092",
              "--kafka-topic", "fleet_spans",
              "--kafka-key", "trace_id",
              "--kafka-property", "compression.type=zstd",
              "--kafka-property", "sasl.jaas.config=PlainLoginModule required password=\"p4ss\";"
            });
    assertEquals(false, o.otlpUsed());
    assertEquals(
        "KafkaSinkBuilder{bootstrapServers=k1:9092,k2:9092, topic=fleet_spans, key=trace_id,"
            + " producerProperties={compression.type=zstd, sasl.jaas.config=OBFUSCATED}}",
        o.kafkaSink().toString());
    assertTrue(o.toString().contains("kafka=KafkaSinkBuilder{"), o.toString());
    assertTrue(!o.toString().contains("p4ss"), o.toString());
  }

  @Test
  void kafkaWithAnOtlpEndpointFeedsBoth() throws UsageException {
    ForwarderOptions o =
        ForwarderOptions.parse(
            new String[] {"--kafka-brokers", "k1:9092", "--otlp-endpoint", "http://c:4317"});
    assertEquals(true, o.otlpUsed());
    assertEquals(
        "KafkaSinkBuilder{bootstrapServers=k1:9092, topic=otlp_spans, key=none,"
            + " producerProperties={}}",
        o.kafkaSink().toString());
    assertEquals(null, ForwarderOptions.parse(new String[] {}).kafkaSink());
  }

  @Test
  void unknownKafkaKeyIsAUsageError() {
    assertEquals(2, run("--kafka-key", "span_id"));
    assertTrue(err().contains("--kafka-key must be one of none, trace_id: 'span_id'"), err());
  }

  @Test
  void exitsOneWhenCollectorIsNotReachableAtStart() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    for (String[] collector :
        List.of(
            new String[] {"--otlp-endpoint", "http://127.0.0.1:" + port},
            new String[] {"--otlp-endpoint", "http://127.0.0.1:" + port + "/v1/traces"},
            new String[] {"--zipkin-endpoint", "http://127.0.0.1:" + port + "/api/v2/spans"})) {
      err.reset();
      int code = run(collector[0], collector[1], "--listen", "unix:" + dir.resolve("f.sock"));
      assertEquals(1, code, err());
      assertTrue(err().contains("ERROR: collector not reachable at"), err());
      assertTrue(err().contains(String.valueOf(port)), err());
    }
  }
}
