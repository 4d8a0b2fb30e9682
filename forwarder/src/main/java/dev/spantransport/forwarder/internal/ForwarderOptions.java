package dev.spantransport.forwarder.internal;

import dev.spantransport.forwarder.Forwarder;
import dev.spantransport.sink.kafka.KafkaSink;
import dev.spantransport.sink.kafka.KafkaSinkBuilder;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.VsockEndpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The forwarder's command line, parsed by picocli and checked. Flags, defaults and rules follow
 * kata-trace-forwarder ({@code src/tools/trace-forwarder/src/main.rs} and {@code utils.rs} in
 * kata-containers): every form clap accepts is accepted ({@code -ldebug}, {@code -l debug}, {@code
 * -l=debug}, {@code --log-level debug}, {@code --log-level=debug}), a flag given twice keeps its
 * last value; extras of ours are listed under their own heading in the generated {@code --help}.
 *
 * <p>Kata's rules kept: the trace name must not be empty; a VSOCK port must not be empty, must be
 * an unsigned 32-bit integer and must not be zero; a CID is {@code any} or an unsigned 32-bit
 * integer; a hybrid socket path must not be empty and the listening socket is {@code
 * <path>_<port>}; the Jaeger host must not be blank and its port must be a non-zero integer; the
 * log level is one of trace, debug, info, warn, error, critical. A malformed command line exits
 * with {@value UsageException#USAGE} (as clap does), a broken rule with {@value
 * UsageException#INVALID} (as Kata's own checks do).
 *
 * <p>This class is internal and may change without notice.
 */
@Command(
    name = "span-transport-forwarder",
    versionProvider = ForwarderOptions.Version.class,
    sortOptions = false,
    usageHelpWidth = 100,
    headerHeading = "%n",
    header = "span-transport forwarder: a drop-in for kata-trace-forwarder",
    synopsisHeading = "%nUSAGE:%n    ",
    customSynopsis = "span-transport-forwarder [FLAGS]",
    descriptionHeading = "%n",
    description = {
      "Receives spans from VM guests over VSOCK (Kata agents in their own framing, span-transport"
          + " guests in its protocol, both on one port) and forwards them to a trace collector."
          + " Kata agents up to 3.28 send bincode spans, from 3.29 JSON spans; both are decoded.",
    },
    footerHeading = "%n",
    footer = {
      "START-UP CHECK:",
      "    Like kata-trace-forwarder, the forwarder exits (code 1) when the collector is not",
      "    reachable at start: it opens a TCP connection to the collector's host and port (not for",
      "    Jaeger, which is UDP). Once running it keeps serving through collector outages:",
      "    span-transport guests keep unacknowledged batches and resend them; Kata agent spans the",
      "    collector refuses are dropped and counted.",
      "",
      "JAEGER (kata-trace-forwarder up to Kata 3.31):",
      "    --jaeger-host/--jaeger-port send spans to a Jaeger agent endpoint as that forwarder did:",
      "    thrift-compact emitBatch over UDP, each datagram at most 65000 bytes. Given alone they",
      "    replace OTLP; with --otlp-endpoint both get spans. Without any of them the collector is",
      "    OTLP, as in Kata 3.32 and later.",
      "",
      "EXIT CODES:",
      "    0 clean shutdown (SIGINT/SIGTERM), 1 bad value or start-up failure, 2 bad command line",
      "",
      "EXAMPLES:",
      "    span-transport-forwarder --dump-only",
      "    span-transport-forwarder -ldebug --dump-only",
      "    span-transport-forwarder --otlp-endpoint http://localhost:4317",
      "    span-transport-forwarder --otlp-endpoint http://localhost:4318/v1/traces",
      "    span-transport-forwarder --jaeger-host 127.0.0.1 --jaeger-port 6831",
      "    span-transport-forwarder --zipkin-endpoint http://localhost:9411/api/v2/spans",
      "    span-transport-forwarder --admin-listen 127.0.0.1:9464 --log-format json",
      "    sudo span-transport-forwarder --socket-path /run/vc/firecracker/<sandbox>/root/kata.hvsock",
    })
public final class ForwarderOptions {

  /** Kata's default service name for spans whose payload has none. */
  public static final String DEFAULT_TRACE_NAME = "kata-agent";

  /** Kata's default collector: OTLP gRPC on the local host. */
  public static final String DEFAULT_OTLP_ENDPOINT = "http://localhost:4317";

  /** Kata's (up to 3.31) default Jaeger agent host. */
  public static final String DEFAULT_JAEGER_HOST = "127.0.0.1";

  /** Kata's (up to 3.31) default Jaeger agent port: thrift-compact over UDP. */
  public static final int DEFAULT_JAEGER_PORT = 6831;

  /** Kata's default VSOCK port for agent traces. */
  public static final long DEFAULT_VSOCK_PORT = 10240;

  /** The log levels Kata accepts, most verbose first. */
  public static final List<String> LOG_LEVELS =
      List.of("trace", "debug", "info", "warn", "error", "critical");

  /** Log line formats accepted by {@code --log-format}. */
  public static final List<String> LOG_FORMATS = List.of("text", "json");

  /** Record keys accepted by {@code --kafka-key}. */
  public static final List<String> KAFKA_KEYS = List.of("none", "trace_id");

  /** OTLP protocols accepted by {@code --otlp-protocol}. */
  public static final List<String> OTLP_PROTOCOLS = List.of("grpc", "http/protobuf");

  // Mixins, not argument groups: a group starts a new instance when one of its flags repeats,
  // losing the values given before; the two headings of --help are drawn by optionSections().
  @Mixin KataFlags kata = new KataFlags();

  @Mixin ExtraFlags extras = new ExtraFlags();

  private static final int FIRST_EXTRA_ORDER = 20;

  /** kata-trace-forwarder's flags, in its order. */
  static final class KataFlags {
    @Option(
        names = "--dump-only",
        order = 1,
        description = "Do not forward; print spans to stdout as trees per trace")
    boolean dumpOnly;

    @Option(
        names = "--trace-name",
        order = 2,
        paramLabel = "<NAME>",
        description =
            "Service name for spans that carry none [default: " + DEFAULT_TRACE_NAME + "]")
    String traceName = DEFAULT_TRACE_NAME;

    @Option(
        names = "--otlp-endpoint",
        order = 3,
        paramLabel = "<URL>",
        description =
            "OTLP collector URL [default: "
                + DEFAULT_OTLP_ENDPOINT
                + "] (gRPC; a URL ending in /v1/traces means OTLP/HTTP)")
    String otlpEndpoint;

    @Option(
        names = "--jaeger-host",
        order = 4,
        paramLabel = "<HOST>",
        description = "Jaeger agent host (Kata up to 3.31) [default: " + DEFAULT_JAEGER_HOST + "]")
    String jaegerHost;

    @Option(
        names = "--jaeger-port",
        order = 5,
        paramLabel = "<PORT>",
        description = "Jaeger agent port [default: " + DEFAULT_JAEGER_PORT + "]")
    String jaegerPort;

    @Option(
        names = {"-l", "--log-level"},
        order = 6,
        paramLabel = "<LEVEL>",
        description = "trace, debug, info, warn, error, critical [default: info]")
    String logLevel = "info";

    @Option(
        names = "--socket-path",
        order = 7,
        paramLabel = "<PATH>",
        description =
            "Hybrid VSOCK (Firecracker, Cloud Hypervisor): listen on the Unix socket"
                + " <PATH>_<vsock-port>")
    String socketPath;

    @Option(
        names = "--vsock-cid",
        order = 8,
        paramLabel = "<CID>",
        description = "VSOCK CID to listen on, or \"any\" [default: any]")
    String vsockCid;

    @Option(
        names = "--vsock-port",
        order = 9,
        paramLabel = "<PORT>",
        description = "VSOCK port [default: " + DEFAULT_VSOCK_PORT + "]")
    String vsockPort;

    @Option(
        names = {"-h", "--help"},
        order = 10,
        usageHelp = true,
        description = "Print this help")
    boolean help;

    @Option(
        names = {"-V", "--version"},
        order = 11,
        versionHelp = true,
        description = "Print the version")
    boolean version;
  }

  /** Our flags beyond Kata's. */
  static final class ExtraFlags {
    @Option(
        names = "--otlp-protocol",
        order = 20,
        paramLabel = "<P>",
        description = "grpc or http/protobuf [default: from the URL, see --otlp-endpoint]")
    String otlpProtocol;

    @Option(
        names = "--zipkin-endpoint",
        order = 21,
        paramLabel = "<URL>",
        description =
            "Send to Zipkin (e.g. http://localhost:9411/api/v2/spans); alone it replaces OTLP,"
                + " with --otlp-endpoint both get spans")
    String zipkinEndpoint;

    @Option(
        names = "--listen",
        order = 22,
        paramLabel = "<ENDPOINT>",
        description =
            "Also listen on an endpoint (repeatable): vsock://CID:PORT, hvsock:PATH:PORT,"
                + " unix:PATH, tcp://HOST:PORT. Given without --socket-path/--vsock-cid/"
                + "--vsock-port, it replaces the default VSOCK listener.")
    List<String> listen = new ArrayList<>();

    @Option(
        names = "--max-frame-bytes",
        order = 23,
        paramLabel = "<N>",
        description = "Largest frame accepted [default: 8388608]")
    String maxFrameBytes;

    @Option(
        names = "--max-connections",
        order = 24,
        paramLabel = "<N>",
        description = "Most guest connections at once [default: 4096]")
    String maxConnections;

    @Option(
        names = "--receive-buffer-bytes",
        order = 25,
        paramLabel = "<N>",
        description = "Memory for frames in flight, all guests [default: 134217728]")
    String receiveBufferBytes;

    @Option(
        names = "--metrics-interval",
        order = 26,
        paramLabel = "<S>",
        description =
            "Log received/accepted/refused/dropped counters every S seconds; 0 = only at exit"
                + " [default: 60, 0 with --dump-only]")
    String metricsInterval;

    @Option(
        names = "--admin-listen",
        order = 27,
        paramLabel = "<HOST:PORT>",
        description =
            "Serve /metrics (Prometheus text format), /healthz and /readyz over HTTP on HOST:PORT"
                + " (port 0: any free port, logged)")
    String adminListen;

    @Option(
        names = "--unhealthy-after",
        order = 28,
        paramLabel = "<S>",
        description =
            "/healthz answers 503 once the sinks have failed every batch for S seconds"
                + " [default: 60]")
    String unhealthyAfter;

    @Option(
        names = "--log-format",
        order = 29,
        paramLabel = "<F>",
        description =
            "text, or json: one JSON object per line with Kata's fields (ts, level, msg, name,"
                + " source, pid, subsystem, version) [default: text]")
    String logFormat = "text";

    @Option(
        names = "--collector-check-timeout",
        order = 30,
        paramLabel = "<MS>",
        description = "Start-up reachability check timeout [default: 3000]")
    String collectorCheckTimeout;

    @Option(
        names = "--skip-collector-check",
        order = 31,
        description = "Start even if the collector does not answer yet")
    boolean skipCollectorCheck;

    @Option(
        names = "--kafka-brokers",
        order = 32,
        paramLabel = "<HOST:PORT[,...]>",
        description =
            "Write spans to Kafka as OTLP protobuf records (the Collector's kafka receiver,"
                + " encoding otlp_proto); alone it replaces OTLP, with --otlp-endpoint both get"
                + " spans")
    String kafkaBrokers;

    @Option(
        names = "--kafka-topic",
        order = 33,
        paramLabel = "<TOPIC>",
        description = "Kafka topic [default: otlp_spans]")
    String kafkaTopic = "otlp_spans";

    @Option(
        names = "--kafka-key",
        order = 34,
        paramLabel = "<KEY>",
        description = "none, or trace_id: one record per trace, keyed by its id [default: none]")
    String kafkaKey = "none";

    @Option(
        names = "--kafka-property",
        order = 35,
        paramLabel = "<K=V>",
        description =
            "Any Kafka producer setting (repeatable), e.g. compression.type=zstd; acks=all and"
                + " idempotence are fixed")
    List<String> kafkaProperties = new ArrayList<>();
  }

  // Resolved by check().
  private boolean dumpOnly;
  private String traceName;
  private String otlpEndpoint = DEFAULT_OTLP_ENDPOINT;
  private boolean otlpEndpointSet;
  private String otlpProtocol;
  private String jaegerHost = DEFAULT_JAEGER_HOST;
  private int jaegerPort = DEFAULT_JAEGER_PORT;
  private boolean jaegerSet;
  private String logLevel;
  private String logFormat;
  private String zipkinEndpoint;
  private String kafkaBrokers;
  private final Map<String, String> kafkaProperties = new LinkedHashMap<>();
  private int maxFrameBytes = 8 * 1024 * 1024;
  private int maxConnections = 4096;
  private long receiveBufferBytes = 128L * 1024 * 1024;
  private Duration metricsInterval = Duration.ZERO;
  private boolean metricsIntervalSet;
  private Duration collectorCheckTimeout = Duration.ofSeconds(3);
  private InetSocketAddress adminListen;
  private Duration unhealthyAfter = Duration.ofSeconds(60);
  private String kafkaKey = "none";
  private final List<Endpoint> endpoints = new ArrayList<>();

  private ForwarderOptions() {}

  private static CommandLine commandLine(ForwarderOptions o) {
    CommandLine cl = new CommandLine(o);
    cl.setOverwrittenOptionsAllowed(true); // a flag given twice keeps its last value, as before
    cl.setExpandAtFiles(false); // clap reads no @argument files: "@vm" is a value like any other
    cl.getHelpSectionMap()
        .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING, h -> "");
    cl.getHelpSectionMap()
        .put(
            CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
            ForwarderOptions::optionSections);
    return cl;
  }

  /** Kata's flags under one heading, ours under another, each in its declared order. */
  private static String optionSections(CommandLine.Help help) {
    List<OptionSpec> options = new ArrayList<>(help.commandSpec().options());
    options.sort(Comparator.comparingInt(OptionSpec::order));
    CommandLine.Help.Layout kataLayout = help.createDefaultLayout();
    CommandLine.Help.Layout extraLayout = help.createDefaultLayout();
    for (OptionSpec option : options) {
      (option.order() < FIRST_EXTRA_ORDER ? kataLayout : extraLayout)
          .addOption(option, help.parameterLabelRenderer());
    }
    return "%nKATA-TRACE-FORWARDER FLAGS (same names, defaults and checks):%n".formatted()
        + kataLayout
        + "%nSPAN-TRANSPORT EXTRAS:%n".formatted()
        + extraLayout;
  }

  /**
   * Parses and checks a command line.
   *
   * @param args the arguments, without the program name
   * @return the options; when {@link #help()} or {@link #version()} is set nothing else is checked
   * @throws UsageException naming the rule and the value seen, with the exit code to use
   */
  public static ForwarderOptions parse(String[] args) throws UsageException {
    ForwarderOptions o = new ForwarderOptions();
    CommandLine cl = commandLine(o);
    try {
      cl.parseArgs(args);
    } catch (UnmatchedArgumentException e) {
      String arg = e.getUnmatched().isEmpty() ? "" : e.getUnmatched().get(0);
      throw new UsageException(
          UsageException.USAGE,
          arg.startsWith("-")
              ? "unknown flag (see --help): '" + flagName(arg) + "'"
              : "unexpected argument (this program takes flags only): '" + arg + "'");
    } catch (MissingParameterException e) {
      String flag =
          e.getMissing().isEmpty()
              ? e.getMessage()
              : ((OptionSpec) e.getMissing().get(0)).longestName();
      throw new UsageException(UsageException.USAGE, "flag needs a value: '" + flag + "'");
    } catch (ParameterException e) {
      throw new UsageException(UsageException.USAGE, e.getMessage());
    }
    if (o.help() || o.version()) {
      return o;
    }
    o.check();
    return o;
  }

  private static String flagName(String arg) {
    int eq = arg.indexOf('=');
    return arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
  }

  private void check() throws UsageException {
    KataFlags k = kata;
    ExtraFlags x = extras;
    dumpOnly = k.dumpOnly;
    traceName = k.traceName;
    // Values not in a fixed set are usage errors (exit 2), as clap's possible_values are.
    logLevel = oneOf("--log-level", k.logLevel, LOG_LEVELS);
    logFormat = oneOf("--log-format", x.logFormat, LOG_FORMATS);
    String kafkaKey = oneOf("--kafka-key", x.kafkaKey, KAFKA_KEYS);
    if (x.otlpProtocol != null) {
      otlpProtocol = oneOf("--otlp-protocol", x.otlpProtocol, OTLP_PROTOCOLS);
    }
    if (traceName.isEmpty()) {
      // Kata: "Need non-blank trace name".
      throw new UsageException(UsageException.INVALID, "trace name must not be blank: ''");
    }
    boolean kataListenSet = k.socketPath != null || k.vsockCid != null || k.vsockPort != null;
    List<Endpoint> listen = new ArrayList<>();
    for (String value : x.listen) {
      try {
        listen.add(Endpoint.parse(value));
      } catch (IllegalArgumentException e) {
        throw new UsageException(UsageException.INVALID, "--listen: " + e.getMessage());
      }
    }
    long port = vsockPort(k.vsockPort == null ? String.valueOf(DEFAULT_VSOCK_PORT) : k.vsockPort);
    if (k.socketPath != null) {
      if (k.socketPath.isEmpty()) {
        throw new UsageException(
            UsageException.INVALID, "Hybrid VSOCK socket path cannot be empty: ''");
      }
      if (listen.isEmpty() || kataListenSet) {
        endpoints.add(new HybridVsockEndpoint(Path.of(k.socketPath), port));
      }
    } else {
      long cid = vsockCid(k.vsockCid == null ? "any" : k.vsockCid);
      if (listen.isEmpty() || kataListenSet) {
        endpoints.add(new VsockEndpoint(cid, port));
      }
    }
    for (Endpoint e : listen) {
      if (endpoints.contains(e)) {
        throw new UsageException(UsageException.INVALID, "listen endpoints must not repeat: " + e);
      }
      endpoints.add(e);
    }
    if (k.otlpEndpoint != null) {
      otlpEndpoint = k.otlpEndpoint;
      otlpEndpointSet = true;
    }
    if (otlpEndpoint.isEmpty()) {
      // Kata: "OTLP endpoint cannot be blank", checked even with --dump-only.
      throw new UsageException(UsageException.INVALID, "OTLP endpoint cannot be blank: ''");
    }
    jaegerSet = k.jaegerHost != null || k.jaegerPort != null;
    if (k.jaegerPort != null) {
      // Kata: "Jaeger port number must be an integer", "Jaeger port number cannot be zero".
      long p = unsigned32(k.jaegerPort, "Jaeger port number must be an integer");
      if (p == 0) {
        throw new UsageException(UsageException.INVALID, "Jaeger port number cannot be zero: 0");
      }
      if (p > 65_535) {
        throw new UsageException(
            UsageException.INVALID,
            "Jaeger port number must be between 1 and 65535: " + k.jaegerPort);
      }
      jaegerPort = (int) p;
    }
    if (k.jaegerHost != null) {
      if (k.jaegerHost.isBlank()) {
        // Kata: "Jaeger host cannot be blank".
        throw new UsageException(
            UsageException.INVALID, "Jaeger host cannot be blank: '" + k.jaegerHost + "'");
      }
      jaegerHost = k.jaegerHost;
    }
    zipkinEndpoint = x.zipkinEndpoint;
    kafkaBrokers = x.kafkaBrokers;
    if (x.maxFrameBytes != null) {
      maxFrameBytes = (int) number("--max-frame-bytes", x.maxFrameBytes, 1024, 64L * 1024 * 1024);
    }
    if (x.maxConnections != null) {
      maxConnections = (int) number("--max-connections", x.maxConnections, 1, 1_000_000);
    }
    if (x.receiveBufferBytes != null) {
      receiveBufferBytes =
          number(
              "--receive-buffer-bytes", x.receiveBufferBytes, 64L * 1024, 16L * 1024 * 1024 * 1024);
    }
    if (x.metricsInterval != null) {
      metricsInterval =
          Duration.ofSeconds(number("--metrics-interval", x.metricsInterval, 0, 86_400));
      metricsIntervalSet = true;
    }
    if (x.collectorCheckTimeout != null) {
      collectorCheckTimeout =
          Duration.ofMillis(
              number("--collector-check-timeout", x.collectorCheckTimeout, 1, 60_000));
    }
    if (x.unhealthyAfter != null) {
      unhealthyAfter = Duration.ofSeconds(number("--unhealthy-after", x.unhealthyAfter, 1, 86_400));
    }
    if (x.adminListen != null) {
      adminListen = hostPort("--admin-listen", x.adminListen);
    }
    for (String kv : x.kafkaProperties) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new UsageException(
            UsageException.INVALID, "--kafka-property must be KEY=VALUE: '" + kv + "'");
      }
      kafkaProperties.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    this.kafkaKey = kafkaKey;
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

  /**
   * Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6 literals), port 0 to 65535; the host is
   * not resolved here.
   */
  static InetSocketAddress hostPort(String flag, String value) throws UsageException {
    int colon = value.lastIndexOf(':');
    String host = colon < 0 ? "" : value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (colon < 0 || host.isEmpty()) {
      throw new UsageException(
          UsageException.INVALID, flag + " must be HOST:PORT: '" + value + "'");
    }
    long port = number(flag + " port", value.substring(colon + 1), 0, 65_535);
    return InetSocketAddress.createUnresolved(host, (int) port);
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
    if (value.isEmpty()
        || value.length() > 10
        || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
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
    return kata.help;
  }

  /** Whether {@code -V/--version} was given. */
  public boolean version() {
    return kata.version;
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
   * Whether spans go to an OTLP collector: unless dump-only, or Jaeger, Zipkin or Kafka alone was
   * asked for.
   */
  public boolean otlpUsed() {
    return !dumpOnly
        && ((zipkinEndpoint == null && kafkaBrokers == null && !jaegerSet) || otlpEndpointSet);
  }

  /**
   * Whether spans go to a Jaeger agent: {@code --jaeger-host} or {@code --jaeger-port} was given
   * (and not {@code --dump-only}).
   */
  public boolean jaegerUsed() {
    return !dumpOnly && jaegerSet;
  }

  /**
   * Returns the Jaeger agent host: {@code --jaeger-host}, default {@value #DEFAULT_JAEGER_HOST}.
   */
  public String jaegerHost() {
    return jaegerHost;
  }

  /** Returns the Jaeger agent UDP port: {@code --jaeger-port}, default 6831. */
  public int jaegerPort() {
    return jaegerPort;
  }

  /** Returns the log line format, one of {@link #LOG_FORMATS}. */
  public String logFormat() {
    return logFormat;
  }

  /** Returns the admin HTTP address ({@code --admin-listen}), unresolved, or null. */
  public InetSocketAddress adminListen() {
    return adminListen;
  }

  /** Returns how long the sinks may fail every batch before {@code /healthz} answers 503. */
  public Duration unhealthyAfter() {
    return unhealthyAfter;
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
            .setTopic(extras.kafkaTopic)
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
    return extras.skipCollectorCheck;
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
    if (jaegerUsed()) {
      j.add("jaeger=" + jaegerHost + ":" + jaegerPort);
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
        .add("logFormat=" + logFormat)
        .add("adminListen=" + (adminListen == null ? "none" : hostPortString(adminListen)))
        .toString();
  }

  private static String hostPortString(InetSocketAddress a) {
    String host = a.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** picocli's {@code --version} text: the program name and this build's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"${COMMAND-NAME} " + Forwarder.version()};
    }
  }

  /**
   * Returns the {@code --version} text, generated by picocli.
   *
   * @param program the program name to show
   * @return the version line, ending in a newline
   */
  public static String versionText(String program) {
    CommandLine cl = commandLine(new ForwarderOptions());
    cl.getCommandSpec().name(program);
    StringWriter text = new StringWriter();
    cl.printVersionHelp(new PrintWriter(text, true), CommandLine.Help.Ansi.OFF);
    return text.toString().replace(System.lineSeparator(), "\n");
  }

  /**
   * Returns the {@code --help} text, generated by picocli from the flags' annotations.
   *
   * @param program the program name to show
   * @return the help text, ending in a newline
   */
  public static String help(String program) {
    CommandLine cl = commandLine(new ForwarderOptions());
    cl.getCommandSpec().name(program);
    return cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
  }
}
