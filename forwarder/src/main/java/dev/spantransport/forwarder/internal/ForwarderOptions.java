package dev.spantransport.forwarder.internal;

import dev.spantransport.sink.kafka.KafkaSink;
import dev.spantransport.sink.kafka.KafkaSinkBuilder;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.VsockEndpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The forwarder's command line, parsed and checked. Flags, defaults and rules follow
 * kata-trace-forwarder ({@code src/tools/trace-forwarder/src/main.rs} and {@code utils.rs} in
 * kata-containers); extras of ours are listed apart in {@link #help(String)}.
 *
 * <p>Kata's rules kept: the trace name must not be empty; a VSOCK port must not be empty, must be
 * an unsigned 32-bit integer and must not be zero; a CID is {@code any} or an unsigned 32-bit
 * integer; a hybrid socket path must not be empty and the listening socket is {@code
 * <path>_<port>}; the log level is one of trace, debug, info, warn, error, critical. A malformed
 * command line exits with {@value UsageException#USAGE} (as clap does), a broken rule with {@value
 * UsageException#INVALID} (as Kata's own checks do).
 *
 * <p>This class is internal and may change without notice.
 */
public final class ForwarderOptions {

  /** Kata's default service name for spans whose payload has none. */
  public static final String DEFAULT_TRACE_NAME = "kata-agent";

  /** Kata's default collector: OTLP gRPC on the local host. */
  public static final String DEFAULT_OTLP_ENDPOINT = "http://localhost:4317";

  /** Kata's default VSOCK port for agent traces. */
  public static final long DEFAULT_VSOCK_PORT = 10240;

  /** The log levels Kata accepts, most verbose first. */
  public static final List<String> LOG_LEVELS =
      List.of("trace", "debug", "info", "warn", "error", "critical");

  /** Record keys accepted by {@code --kafka-key}. */
  public static final List<String> KAFKA_KEYS = List.of("none", "trace_id");

  /** OTLP protocols accepted by {@code --otlp-protocol}. */
  public static final List<String> OTLP_PROTOCOLS = List.of("grpc", "http/protobuf");

  boolean help;
  boolean version;
  boolean dumpOnly;
  String traceName = DEFAULT_TRACE_NAME;
  String otlpEndpoint = DEFAULT_OTLP_ENDPOINT;
  boolean otlpEndpointSet;
  String otlpProtocol;
  String logLevel = "info";
  String socketPath;
  String vsockCid = "any";
  String vsockPort = String.valueOf(DEFAULT_VSOCK_PORT);
  boolean kataListenSet;
  String zipkinEndpoint;
  String kafkaBrokers;
  String kafkaTopic = "otlp_spans";
  String kafkaKey = "none";
  final Map<String, String> kafkaProperties = new LinkedHashMap<>();
  final List<Endpoint> listen = new ArrayList<>();
  int maxFrameBytes = 8 * 1024 * 1024;
  int maxConnections = 4096;
  long receiveBufferBytes = 128L * 1024 * 1024;
  Duration metricsInterval = Duration.ZERO;
  boolean metricsIntervalSet;
  Duration collectorCheckTimeout = Duration.ofSeconds(3);
  boolean skipCollectorCheck;

  // Resolved by parse().
  private final List<Endpoint> endpoints = new ArrayList<>();

  private ForwarderOptions() {}

  /**
   * Parses and checks a command line.
   *
   * @param args the arguments, without the program name
   * @return the options; when {@link #help()} or {@link #version()} is set nothing else is checked
   * @throws UsageException naming the rule and the value seen, with the exit code to use
   */
  public static ForwarderOptions parse(String[] args) throws UsageException {
    ForwarderOptions o = new ForwarderOptions();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String inline = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        inline = arg.substring(eq + 1);
      }
      switch (name) {
        case "-h", "--help" -> o.help = true;
        case "-V", "--version" -> o.version = true;
        case "--dump-only" -> o.dumpOnly = true;
        case "--skip-collector-check" -> o.skipCollectorCheck = true;
        default -> {
          if (!name.startsWith("-")) {
            throw new UsageException(
                UsageException.USAGE,
                "unexpected argument (this program takes flags only): '" + arg + "'");
          }
          String value;
          if (inline != null) {
            value = inline;
          } else if (i + 1 < args.length && takesValue(name)) {
            value = args[++i];
          } else if (takesValue(name)) {
            throw new UsageException(UsageException.USAGE, "flag needs a value: '" + name + "'");
          } else {
            throw new UsageException(
                UsageException.USAGE, "unknown flag (see --help): '" + name + "'");
          }
          o.set(name, value);
        }
      }
    }
    if (o.help || o.version) {
      return o;
    }
    o.check();
    return o;
  }

  private static boolean takesValue(String name) {
    return switch (name) {
      case "--trace-name",
          "--otlp-endpoint",
          "--otlp-protocol",
          "-l",
          "--log-level",
          "--socket-path",
          "--vsock-cid",
          "--vsock-port",
          "--zipkin-endpoint",
          "--listen",
          "--max-frame-bytes",
          "--max-connections",
          "--receive-buffer-bytes",
          "--metrics-interval",
          "--collector-check-timeout",
          "--kafka-brokers",
          "--kafka-topic",
          "--kafka-key",
          "--kafka-property" ->
          true;
      default -> false;
    };
  }

  private void set(String name, String value) throws UsageException {
    switch (name) {
      case "--trace-name" -> traceName = value;
      case "--otlp-endpoint" -> {
        otlpEndpoint = value;
        otlpEndpointSet = true;
      }
      case "--otlp-protocol" -> otlpProtocol = oneOf(name, value, OTLP_PROTOCOLS);
      case "-l", "--log-level" -> logLevel = oneOf(name, value, LOG_LEVELS);
      case "--socket-path" -> {
        socketPath = value;
        kataListenSet = true;
      }
      case "--vsock-cid" -> {
        vsockCid = value;
        kataListenSet = true;
      }
      case "--vsock-port" -> {
        vsockPort = value;
        kataListenSet = true;
      }
      case "--zipkin-endpoint" -> zipkinEndpoint = value;
      case "--listen" -> {
        try {
          listen.add(Endpoint.parse(value));
        } catch (IllegalArgumentException e) {
          throw new UsageException(UsageException.INVALID, "--listen: " + e.getMessage());
        }
      }
      case "--max-frame-bytes" ->
          maxFrameBytes = (int) number(name, value, 1024, 64L * 1024 * 1024);
      case "--max-connections" -> maxConnections = (int) number(name, value, 1, 1_000_000);
      case "--receive-buffer-bytes" ->
          receiveBufferBytes = number(name, value, 64L * 1024, 16L * 1024 * 1024 * 1024);
      case "--metrics-interval" -> {
        metricsInterval = Duration.ofSeconds(number(name, value, 0, 86_400));
        metricsIntervalSet = true;
      }
      case "--collector-check-timeout" ->
          collectorCheckTimeout = Duration.ofMillis(number(name, value, 1, 60_000));
      case "--kafka-brokers" -> kafkaBrokers = value;
      case "--kafka-topic" -> kafkaTopic = value;
      case "--kafka-key" -> kafkaKey = oneOf(name, value, KAFKA_KEYS);
      case "--kafka-property" -> {
        int eq = value.indexOf('=');
        if (eq <= 0) {
          throw new UsageException(
              UsageException.INVALID, "--kafka-property must be KEY=VALUE: '" + value + "'");
        }
        kafkaProperties.put(value.substring(0, eq), value.substring(eq + 1));
      }
      default -> throw new IllegalStateException("unhandled flag " + name);
    }
  }

  private void check() throws UsageException {
    if (traceName.isEmpty()) {
      // Kata: "Need non-blank trace name".
      throw new UsageException(UsageException.INVALID, "trace name must not be blank: ''");
    }
    long port = vsockPort(vsockPort);
    if (socketPath != null) {
      if (socketPath.isEmpty()) {
        throw new UsageException(
            UsageException.INVALID, "Hybrid VSOCK socket path cannot be empty: ''");
      }
      if (kataEndpointUsed()) {
        endpoints.add(new HybridVsockEndpoint(Path.of(socketPath), port));
      }
    } else {
      long cid = vsockCid(vsockCid);
      if (kataEndpointUsed()) {
        endpoints.add(new VsockEndpoint(cid, port));
      }
    }
    for (Endpoint e : listen) {
      if (endpoints.contains(e)) {
        throw new UsageException(UsageException.INVALID, "listen endpoints must not repeat: " + e);
      }
      endpoints.add(e);
    }
    if (otlpEndpoint.isEmpty()) {
      // Kata: "OTLP endpoint cannot be blank", checked even with --dump-only.
      throw new UsageException(UsageException.INVALID, "OTLP endpoint cannot be blank: ''");
    }
    if (!dumpOnly) {
      if (otlpUsed()) {
        checkUrl("--otlp-endpoint", otlpEndpoint);
      }
      if (zipkinEndpoint != null) {
        checkUrl("--zipkin-endpoint", zipkinEndpoint);
      }
      try {
        kafkaBuilder(); // the builder checks every value; nothing is started here
      } catch (IllegalArgumentException e) {
        throw new UsageException(UsageException.INVALID, "--kafka-*: " + e.getMessage());
      }
    }
    if (receiveBufferBytes < 2L * maxFrameBytes) {
      throw new UsageException(
          UsageException.INVALID,
          "--receive-buffer-bytes must be at least twice --max-frame-bytes ("
              + 2L * maxFrameBytes
              + "): "
              + receiveBufferBytes);
    }
  }

  private boolean kataEndpointUsed() {
    return listen.isEmpty() || kataListenSet;
  }

  /** Kata's {@code port_str_to_port}: not empty, an unsigned 32-bit integer, not zero. */
  static long vsockPort(String value) throws UsageException {
    if (value.isEmpty()) {
      throw new UsageException(UsageException.INVALID, "VSOCK port cannot be empty: ''");
    }
    long port = unsigned32(value, "VSOCK port number must be an integer");
    if (port == 0) {
      throw new UsageException(UsageException.INVALID, "VSOCK port number cannot be zero: 0");
    }
    if (port > VsockEndpoint.MAX_PORT) {
      throw new UsageException(
          UsageException.INVALID,
          "VSOCK port number must be between 1 and " + VsockEndpoint.MAX_PORT + ": " + value);
    }
    return port;
  }

  /** Kata's {@code str_to_vsock_cid}: {@code any}, or a non-empty unsigned 32-bit integer. */
  static long vsockCid(String value) throws UsageException {
    if ("any".equals(value)) {
      return VsockEndpoint.VMADDR_CID_ANY;
    }
    if (value.isEmpty()) {
      throw new UsageException(UsageException.INVALID, "VSOCK CID cannot be empty: ''");
    }
    return unsigned32(value, "VSOCK CID must be an integer (or \"any\")");
  }

  private static long unsigned32(String value, String rule) throws UsageException {
    if (value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new UsageException(UsageException.INVALID, rule + ": '" + value + "'");
    }
    long n = Long.parseLong(value);
    if (n > 0xFFFF_FFFFL) {
      throw new UsageException(UsageException.INVALID, rule + " below 2^32: '" + value + "'");
    }
    return n;
  }

  private static long number(String flag, String value, long min, long max) throws UsageException {
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new UsageException(
          UsageException.INVALID, flag + " must be an integer: '" + value + "'");
    }
    if (n < min || n > max) {
      throw new UsageException(
          UsageException.INVALID, flag + " must be between " + min + " and " + max + ": " + value);
    }
    return n;
  }

  private static String oneOf(String flag, String value, List<String> allowed)
      throws UsageException {
    String v = value.toLowerCase(Locale.ROOT);
    if (!allowed.contains(v)) {
      throw new UsageException(
          UsageException.USAGE,
          flag + " must be one of " + String.join(", ", allowed) + ": '" + value + "'");
    }
    return v;
  }

  private static void checkUrl(String flag, String value) throws UsageException {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw new UsageException(UsageException.INVALID, flag + " must be a URL: '" + value + "'");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new UsageException(
          UsageException.INVALID, flag + " must start with http:// or https://: '" + value + "'");
    }
    if (uri.getHost() == null) {
      throw new UsageException(UsageException.INVALID, flag + " must name a host: '" + value + "'");
    }
  }

  /** Whether {@code -h/--help} was given. */
  public boolean help() {
    return help;
  }

  /** Whether {@code -V/--version} was given. */
  public boolean version() {
    return version;
  }

  /** Whether {@code --dump-only} was given: print spans, forward nothing. */
  public boolean dumpOnly() {
    return dumpOnly;
  }

  /** Returns the service name for spans whose payload names none. */
  public String traceName() {
    return traceName;
  }

  /** Returns the endpoints to listen on: Kata's vsock or hybrid one, then each {@code --listen}. */
  public List<Endpoint> endpoints() {
    return Collections.unmodifiableList(endpoints);
  }

  /** Returns the log level name, one of {@link #LOG_LEVELS}. */
  public String logLevel() {
    return logLevel;
  }

  /**
   * Whether spans go to an OTLP collector: unless dump-only, or Zipkin or Kafka alone was asked
   * for.
   */
  public boolean otlpUsed() {
    return !dumpOnly && ((zipkinEndpoint == null && kafkaBrokers == null) || otlpEndpointSet);
  }

  /**
   * Returns the Kafka sink's configuration from {@code --kafka-*}, or null without {@code
   * --kafka-brokers} or with {@code --dump-only}.
   */
  public KafkaSinkBuilder kafkaSink() {
    return dumpOnly || kafkaBrokers == null ? null : kafkaBuilder();
  }

  private KafkaSinkBuilder kafkaBuilder() {
    KafkaSinkBuilder builder =
        KafkaSink.builder()
            .setTopic(kafkaTopic)
            .setPartitionByTraceId("trace_id".equals(kafkaKey))
            .setProducerProperties(kafkaProperties);
    return kafkaBrokers == null ? builder : builder.setBootstrapServers(kafkaBrokers);
  }

  /** Returns the OTLP endpoint URL. */
  public String otlpEndpoint() {
    return otlpEndpoint;
  }

  /**
   * Returns the OTLP protocol: as given by {@code --otlp-protocol}, else {@code http/protobuf} for
   * an endpoint whose path ends in {@code /v1/traces}, else {@code grpc} (Kata's).
   */
  public String otlpProtocol() {
    if (otlpProtocol != null) {
      return otlpProtocol;
    }
    return otlpEndpoint.endsWith("/v1/traces") ? "http/protobuf" : "grpc";
  }

  /** Returns the Zipkin endpoint, or null. */
  public String zipkinEndpoint() {
    return dumpOnly ? null : zipkinEndpoint;
  }

  /** Returns the largest frame accepted, in bytes. */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** Returns the most guest connections at once. */
  public int maxConnections() {
    return maxConnections;
  }

  /** Returns the receive-buffer budget shared by all connections. */
  public long receiveBufferBytes() {
    return receiveBufferBytes;
  }

  /**
   * Returns how often to print a counter summary; zero means only at shutdown. Default: zero with
   * {@code --dump-only}, else 60 s.
   */
  public Duration metricsInterval() {
    if (metricsIntervalSet) {
      return metricsInterval;
    }
    return dumpOnly ? Duration.ZERO : Duration.ofSeconds(60);
  }

  /** Returns the connect timeout of the start-up collector check. */
  public Duration collectorCheckTimeout() {
    return collectorCheckTimeout;
  }

  /** Whether the start-up collector check is skipped. */
  public boolean skipCollectorCheck() {
    return skipCollectorCheck;
  }

  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "ForwarderOptions{", "}");
    j.add("dumpOnly=" + dumpOnly)
        .add("traceName=" + traceName)
        .add("endpoints=" + endpoints)
        .add("logLevel=" + logLevel);
    if (otlpUsed()) {
      j.add("otlpEndpoint=" + otlpEndpoint).add("otlpProtocol=" + otlpProtocol());
    }
    if (zipkinEndpoint() != null) {
      j.add("zipkinEndpoint=" + zipkinEndpoint);
    }
    if (kafkaSink() != null) {
      j.add("kafka=" + kafkaSink()); // secret property values are not printed
    }
    return j.add("maxFrameBytes=" + maxFrameBytes)
        .add("maxConnections=" + maxConnections)
        .add("receiveBufferBytes=" + receiveBufferBytes)
        .add("metricsInterval=" + metricsInterval())
        .toString();
  }

  /**
   * Returns the {@code --help} text.
   *
   * @param program the program name to show in examples
   * @return the help text, ending in a newline
   */
  public static String help(String program) {
    return """
        span-transport forwarder: a drop-in for kata-trace-forwarder

        Receives spans from VM guests over VSOCK (Kata agents in their own framing, span-transport \
        guests in its protocol, both on one port) and forwards them to a trace collector. Kata \
        agents up to 3.28 send bincode spans, from 3.29 JSON spans; both are decoded.

        USAGE:
            %1$s [FLAGS]

        KATA-TRACE-FORWARDER FLAGS (same names, defaults and checks):
                --dump-only              Do not forward; print spans to stdout as trees per trace
                --trace-name <NAME>      Service name for spans that carry none [default: %2$s]
                --otlp-endpoint <URL>    OTLP collector URL [default: %3$s] (gRPC; a URL ending in
                                         /v1/traces means OTLP/HTTP)
            -l, --log-level <LEVEL>      trace, debug, info, warn, error, critical [default: info]
                --socket-path <PATH>     Hybrid VSOCK (Firecracker, Cloud Hypervisor): listen on the
                                         Unix socket <PATH>_<vsock-port>
                --vsock-cid <CID>        VSOCK CID to listen on, or "any" [default: any]
                --vsock-port <PORT>      VSOCK port [default: %4$d]
            -h, --help                   Print this help
            -V, --version                Print the version

        SPAN-TRANSPORT EXTRAS:
                --otlp-protocol <P>      grpc or http/protobuf [default: from the URL, see above]
                --zipkin-endpoint <URL>  Send to Zipkin (e.g. http://localhost:9411/api/v2/spans);
                                         alone it replaces OTLP, with --otlp-endpoint both get spans
                --listen <ENDPOINT>      Also listen on an endpoint (repeatable): vsock://CID:PORT,
                                         hvsock:PATH:PORT, unix:PATH, tcp://HOST:PORT. Given without
                                         --socket-path/--vsock-cid/--vsock-port, it replaces the
                                         default VSOCK listener.
                --max-frame-bytes <N>    Largest frame accepted [default: 8388608]
                --max-connections <N>    Most guest connections at once [default: 4096]
                --receive-buffer-bytes <N>
                                         Memory for frames in flight, all guests [default: 134217728]
                --metrics-interval <S>   Print received/acked/dropped counters every S seconds;
                                         0 = only at exit [default: 60, 0 with --dump-only]
                --collector-check-timeout <MS>
                                         Start-up reachability check timeout [default: 3000]
                --skip-collector-check   Start even if the collector does not answer yet
                --kafka-brokers <HOST:PORT[,...]>
                                         Write spans to Kafka as OTLP protobuf records (the
                                         Collector's kafka receiver, encoding otlp_proto); alone it
                                         replaces OTLP, with --otlp-endpoint both get spans
                --kafka-topic <TOPIC>    Kafka topic [default: otlp_spans]
                --kafka-key <KEY>        none, or trace_id: one record per trace, keyed by its id
                                         [default: none]
                --kafka-property <K=V>   Any Kafka producer setting (repeatable), e.g.
                                         compression.type=zstd; acks=all and idempotence are fixed

        START-UP CHECK:
            Like kata-trace-forwarder, the forwarder exits (code 1) when the collector is not
            reachable at start: it opens a TCP connection to the collector's host and port. Once
            running it keeps serving through collector outages: span-transport guests keep
            unacknowledged batches and resend them; Kata agent spans the collector refuses are
            dropped and counted.

        EXIT CODES:
            0 clean shutdown (SIGINT/SIGTERM), 1 bad value or start-up failure, 2 bad command line

        EXAMPLES:
            %1$s --dump-only
            %1$s --otlp-endpoint http://localhost:4317
            %1$s --otlp-endpoint http://localhost:4318/v1/traces
            %1$s --zipkin-endpoint http://localhost:9411/api/v2/spans
            sudo %1$s --socket-path /run/vc/firecracker/<sandbox>/root/kata.hvsock
        """
        .formatted(program, DEFAULT_TRACE_NAME, DEFAULT_OTLP_ENDPOINT, DEFAULT_VSOCK_PORT);
  }
}
