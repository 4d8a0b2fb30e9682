package dev.spantransport.forwarder;

import dev.spantransport.forwarder.dump.LogRecordPrinter;
import dev.spantransport.forwarder.dump.MetricPrinter;
import dev.spantransport.forwarder.dump.TraceTreePrinter;
import dev.spantransport.forwarder.internal.AdminServer;
import dev.spantransport.forwarder.internal.AllSinks;
import dev.spantransport.forwarder.internal.CollectorProbe;
import dev.spantransport.forwarder.internal.CountingSink;
import dev.spantransport.forwarder.internal.ForwarderOptions;
import dev.spantransport.forwarder.internal.JaegerAgentExporter;
import dev.spantransport.forwarder.internal.KataLegacyDecoder;
import dev.spantransport.forwarder.internal.OneLineLogHandler;
import dev.spantransport.forwarder.internal.UsageException;
import dev.spantransport.forwarder.kata.KataSpanDecoder;
import dev.spantransport.forwarder.zipkin.ZipkinExporter;
import dev.spantransport.sink.LogRecordExporterSink;
import dev.spantransport.sink.LogSink;
import dev.spantransport.sink.MetricExporterSink;
import dev.spantransport.sink.MetricSink;
import dev.spantransport.sink.OtlpHttpSink;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.sink.kafka.KafkaSinkBuilder;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The span-transport forwarder: a drop-in for Kata Containers' {@code kata-trace-forwarder} with
 * the same flags, built on {@link SpanReceiver}. One port serves Kata agents (their own framing,
 * decoded by {@link KataSpanDecoder}) and span-transport guests, from many VMs at once; spans go to
 * an OTLP (gRPC or HTTP), Jaeger agent, Zipkin or Kafka collector, or with {@code --dump-only} to
 * stdout as trees per trace. {@code --admin-listen} adds Prometheus metrics and health checks.
 *
 * <p>Run {@code java -jar span-transport-forwarder.jar --help} for the flags.
 */
public final class Forwarder implements Closeable {

  private static final Logger logger = Logger.getLogger(Forwarder.class.getName());

  /** The program name shown in help and messages. */
  public static final String PROGRAM = "span-transport-forwarder";

  private final ForwarderOptions options;
  private final PrintStream out;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final AtomicBoolean closing = new AtomicBoolean();
  private CountingSink counter;
  private SpanReceiver receiver;
  private ScheduledExecutorService metricsTimer;
  private volatile AdminServer admin;
  private long startNanos;

  private Forwarder(ForwarderOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs the forwarder with the process's streams and exits with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the forwarder until the JVM is asked to stop (SIGINT, SIGTERM).
   *
   * @param args the command line, without the program name
   * @param out where help, version and {@code --dump-only} trees go
   * @param err where errors and logs go
   * @return the exit code: 0 after a clean shutdown or for help and version, 1 for a bad value or a
   *     start-up failure (e.g. collector not reachable), 2 for a malformed command line
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, f -> {});
  }

  /**
   * Like {@link #run(String[], PrintStream, PrintStream)}, handing the started forwarder to {@code
   * onStarted} (e.g. a test, which later calls {@link #close()} to make this method return).
   */
  static int run(String[] args, PrintStream out, PrintStream err, Consumer<Forwarder> onStarted) {
    Objects.requireNonNull(args, "args");
    ForwarderOptions options;
    try {
      options = ForwarderOptions.parse(args);
    } catch (UsageException e) {
      err.println("ERROR: " + e.getMessage());
      if (e.exitCode() == UsageException.USAGE) {
        err.println("For more information, try '--help'.");
      }
      return e.exitCode();
    }
    if (options.help()) {
      out.print(ForwarderOptions.help(PROGRAM));
      out.flush();
      return 0;
    }
    if (options.version()) {
      out.print(ForwarderOptions.versionText(PROGRAM));
      out.flush();
      return 0;
    }
    OneLineLogHandler logs =
        OneLineLogHandler.install(
            err, options.logLevel(), "json".equals(options.logFormat()), version());
    try {
      Forwarder forwarder = new Forwarder(options, out);
      // SIGTERM and SIGINT close the forwarder and let run() return 0, with the final counters
      // logged while logging still works; the hook below only covers other ways the JVM may exit.
      // Installed before start(), so a signal during start-up is not left to the JVM's default.
      StopSignals.install(forwarder::close);
      try {
        forwarder.start();
      } catch (IOException | RuntimeException e) {
        err.println("ERROR: " + e.getMessage());
        forwarder.close();
        return UsageException.INVALID;
      }
      Thread hook = new Thread(forwarder::close, "forwarder-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      onStarted.accept(forwarder);
      forwarder.awaitClosed();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is shutting down: the hook is what closed us.
      }
      return 0;
    } finally {
      logs.uninstall();
    }
  }

  /** Returns this build's version, from the jar manifest when there is one. */
  public static String version() {
    String v = Forwarder.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }

  private void start() throws IOException {
    logger.log(Level.INFO, () -> "starting " + PROGRAM + " " + version() + " " + options);
    if (options.adminListen() != null) {
      admin = AdminServer.start(options.adminListen(), options.unhealthyAfter());
      InetSocketAddress bound = admin.address();
      logger.log(
          Level.INFO,
          () ->
              "admin: /metrics, /healthz, /readyz on http://"
                  + bound.getHostString()
                  + ":"
                  + bound.getPort());
    }
    List<SpanSink> sinks = new ArrayList<>();
    // Logs and metrics go to the dump view or the OTLP collector; Zipkin and Kafka take spans only.
    List<LogSink> logSinks = new ArrayList<>();
    List<MetricSink> metricSinks = new ArrayList<>();
    if (options.dumpOnly()) {
      TraceTreePrinter printer = TraceTreePrinter.builder(out).build();
      sinks.add(SpanExporterSink.create(printer));
      logSinks.add(LogRecordExporterSink.create(LogRecordPrinter.create(out)));
      metricSinks.add(MetricExporterSink.create(MetricPrinter.create(out)));
    } else {
      if (options.otlpUsed()) {
        checkCollector(options.otlpEndpoint());
        if ("http/protobuf".equals(options.otlpProtocol())) {
          // One passthrough for all three signals: /v1/traces, /v1/logs, /v1/metrics.
          OtlpHttpSink otlp = OtlpHttpSink.builder().setEndpoint(options.otlpEndpoint()).build();
          sinks.add(otlp);
          logSinks.add(otlp);
          metricSinks.add(otlp);
        } else {
          sinks.add(
              SpanExporterSink.create(
                  OtlpGrpcSpanExporter.builder()
                      .setEndpoint(options.otlpEndpoint())
                      .setTimeout(Duration.ofSeconds(10))
                      .build()));
          logSinks.add(
              LogRecordExporterSink.create(
                  OtlpGrpcLogRecordExporter.builder()
                      .setEndpoint(options.otlpEndpoint())
                      .setTimeout(Duration.ofSeconds(10))
                      .build()));
          metricSinks.add(
              MetricExporterSink.create(
                  OtlpGrpcMetricExporter.builder()
                      .setEndpoint(options.otlpEndpoint())
                      .setTimeout(Duration.ofSeconds(10))
                      .build()));
        }
      }
      if (options.zipkinEndpoint() != null) {
        checkCollector(options.zipkinEndpoint());
        sinks.add(
            SpanExporterSink.create(
                ZipkinExporter.builder()
                    .setEndpoint(options.zipkinEndpoint())
                    .setTimeout(Duration.ofSeconds(10))
                    .build()));
      }
      if (options.jaegerUsed()) {
        sinks.add(
            SpanExporterSink.create(
                JaegerAgentExporter.builder()
                    .setAgent(options.jaegerHost(), options.jaegerPort())
                    .setServiceName(options.traceName())
                    .setMeterProvider(admin == null ? null : admin.meterProvider())
                    .build()));
      }
      KafkaSinkBuilder kafka = options.kafkaSink();
      if (kafka != null) {
        sinks.add(kafka.build());
      }
    }
    counter = new CountingSink(sinks.size() == 1 ? sinks.get(0) : new AllSinks(sinks));
    SpanReceiverBuilder builder =
        SpanReceiver.builder()
            .addSink(counter)
            .setLegacyFrameDecoder(
                new KataLegacyDecoder(
                    new KataSpanDecoder(options.traceName(), options.maxFrameBytes())))
            .setMaxFrameLength(options.maxFrameBytes())
            .setMaxConnections(options.maxConnections())
            .setReceiveBufferBudget(options.receiveBufferBytes());
    for (Endpoint e : options.endpoints()) {
      builder.addEndpoint(e);
    }
    if (admin != null) {
      admin.observe(counter);
      builder.setMeterProvider(admin.meterProvider());
    }
    logSinks.forEach(builder::addLogSink);
    metricSinks.forEach(builder::addMetricSink);
    receiver = builder.build();
    CompletableResultCode started = receiver.start();
    if (!started.isSuccess()) {
      Throwable cause = started.getFailureThrowable();
      throw new IOException(
          "cannot listen on "
              + options.endpoints()
              + (cause != null ? ": " + cause.getMessage() : ""),
          cause);
    }
    startNanos = System.nanoTime();
    if (admin != null) {
      admin.setListening(true);
    }
    logger.log(Level.INFO, () -> "listening on " + options.endpoints());
    Duration interval = options.metricsInterval();
    if (!interval.isZero()) {
      metricsTimer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "forwarder-metrics");
                t.setDaemon(true);
                return t;
              });
      metricsTimer.scheduleAtFixedRate(
          () -> logger.log(Level.INFO, this::summary),
          interval.toMillis(),
          interval.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  private void checkCollector(String url) throws IOException {
    if (options.skipCollectorCheck()) {
      return;
    }
    CollectorProbe.check(url, options.collectorCheckTimeout());
  }

  /** Returns the listen endpoints. */
  public List<Endpoint> endpoints() {
    return options.endpoints();
  }

  /** Returns the bound {@code --admin-listen} address, or null without one. */
  InetSocketAddress adminAddress() {
    AdminServer a = admin;
    return a == null ? null : a.address();
  }

  /** Returns the counters of what was received and forwarded so far. */
  public String summary() {
    return counter == null ? "not started" : counter.summary() + " " + connectionsSummary();
  }

  private String connectionsSummary() {
    return "connections=" + (receiver == null ? 0 : receiver.connectionCount());
  }

  /** Returns the spans received so far (duplicates excluded). */
  public long spansReceived() {
    return counter == null ? 0 : counter.spans();
  }

  /** Returns the spans the sinks accepted so far. */
  public long spansAccepted() {
    return counter == null ? 0 : counter.accepted();
  }

  /**
   * Stops listening, tells guests to go away, drains batches in flight to the collector (or prints
   * them), logs the final counters and makes {@link #run} return. Safe to call twice.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      awaitClosed();
      return;
    }
    try {
      if (admin != null) {
        admin.setListening(false); // /readyz and /healthz: 503 while draining
      }
      if (metricsTimer != null) {
        metricsTimer.shutdownNow();
      }
      if (receiver != null) {
        receiver.close();
        long elapsed = System.nanoTime() - startNanos;
        logger.log(
            Level.INFO,
            () -> "stopped after " + TraceTreePrinter.duration(elapsed) + ": " + counter.summary());
      }
      if (admin != null) {
        admin.close();
      }
    } finally {
      closed.countDown();
    }
  }

  private void awaitClosed() {
    boolean interrupted = false;
    while (true) {
      try {
        closed.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "Forwarder" + options;
  }
}
