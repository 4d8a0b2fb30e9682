package dev.spantransport.forwarder.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The forwarder's admin HTTP listener ({@code --admin-listen}): {@code /metrics} in the Prometheus
 * text format (the receiver's and the sinks' metrics, all named {@code spantransport_*}), {@code
 * /healthz} and {@code /readyz}.
 *
 * <ul>
 *   <li>{@code /readyz}: 200 while the receiver listens; 503 while starting and once stopping.
 *   <li>{@code /healthz}: 200 while the receiver listens and the sinks have not been failing for
 *       longer than the threshold ({@code --unhealthy-after}); 503 otherwise, the body saying why.
 *       The sinks are failing from the first refused batch until the next accepted one; a batch
 *       refused because it is malformed is the guest's fault and does not count.
 * </ul>
 *
 * <p>Metrics are recorded through an OpenTelemetry {@link SdkMeterProvider} ({@link
 * #meterProvider()}) and read at each scrape by {@link PrometheusMetricReader}. One daemon thread
 * serves requests.
 *
 * <p>This class is internal and may change without notice.
 */
public final class AdminServer implements Closeable {

  private static final Logger logger = Logger.getLogger(AdminServer.class.getName());

  private final HttpServer server;
  private final ExecutorService executor;
  private final SdkMeterProvider meterProvider;
  private final Duration unhealthyAfter;
  private volatile boolean listening;
  private volatile CountingSink sinks;

  private AdminServer(
      HttpServer server,
      ExecutorService executor,
      SdkMeterProvider meterProvider,
      Duration unhealthyAfter) {
    this.server = server;
    this.executor = executor;
    this.meterProvider = meterProvider;
    this.unhealthyAfter = unhealthyAfter;
  }

  /**
   * Binds {@code address} and starts serving; {@code /readyz} and {@code /healthz} answer 503 until
   * {@link #setListening(boolean)}.
   *
   * @param address where to listen (resolved here)
   * @param unhealthyAfter how long the sinks may fail before {@code /healthz} answers 503
   * @throws IOException if the address cannot be bound
   */
  public static AdminServer start(InetSocketAddress address, Duration unhealthyAfter)
      throws IOException {
    InetSocketAddress resolved =
        address.isUnresolved()
            ? new InetSocketAddress(address.getHostString(), address.getPort())
            : address;
    if (resolved.isUnresolved()) {
      throw new IOException("admin listen host does not resolve: " + address.getHostString());
    }
    PrometheusMetricReader reader = new PrometheusMetricReader();
    SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(reader).build();
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(reader);
    HttpServer server;
    try {
      server = HttpServer.create(resolved, 16);
    } catch (IOException e) {
      meters.close();
      throw new IOException(
          "cannot listen on --admin-listen " + resolved + ": " + e.getMessage(), e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "forwarder-admin");
              t.setDaemon(true);
              return t;
            });
    AdminServer admin = new AdminServer(server, executor, meters, unhealthyAfter);
    server.createContext("/metrics", new MetricsHandler(registry));
    server.createContext("/healthz", admin.text(admin::healthProblem, "ok"));
    server.createContext("/readyz", admin.text(admin::readinessProblem, "ready"));
    server.setExecutor(executor);
    server.start();
    return admin;
  }

  /** Returns the meter provider whose metrics {@code /metrics} serves. */
  public MeterProvider meterProvider() {
    return meterProvider;
  }

  /**
   * Publishes the forwarder's sink counters ({@code spantransport.forwarder.spans.*}, {@code
   * .batches}, {@code .sink.failing}) and uses them for {@code /healthz}.
   */
  public void observe(CountingSink sinks) {
    this.sinks = sinks;
    Meter meter = meterProvider.get("dev.spantransport.forwarder");
    counter(meter, "spantransport.forwarder.spans.received", "Spans received", sinks::spans);
    counter(
        meter,
        "spantransport.forwarder.spans.kata",
        "Spans received in Kata agent frames",
        sinks::kataSpans);
    counter(
        meter,
        "spantransport.forwarder.spans.accepted",
        "Spans the sinks accepted (acknowledged to span-transport guests)",
        sinks::accepted);
    counter(
        meter,
        "spantransport.forwarder.spans.refused",
        "Spans of span-transport guests the sinks refused; the guests resend them",
        sinks::refused);
    counter(
        meter,
        "spantransport.forwarder.spans.dropped",
        "Kata agent spans the sinks refused: lost, that protocol cannot resend",
        sinks::dropped);
    counter(
        meter,
        "spantransport.forwarder.batches",
        "Batches (and Kata frames) received",
        sinks::batches);
    meter
        .gaugeBuilder("spantransport.forwarder.sink.failing")
        .setUnit("s")
        .setDescription("Seconds the sinks have been refusing every batch; 0 when they are not")
        .buildWithCallback(m -> m.record(sinks.failingNanos(System.nanoTime()) / 1e9));
  }

  private static void counter(Meter meter, String name, String help, LongSupplier value) {
    meter
        .counterBuilder(name)
        .setDescription(help)
        .buildWithCallback(m -> m.record(value.getAsLong()));
  }

  /** Tells whether the receiver is listening (true after start, false once stopping). */
  public void setListening(boolean listening) {
    this.listening = listening;
  }

  /** Returns the address the admin listener is bound to (with the real port for port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Why {@code /readyz} is 503, or null. */
  private String readinessProblem() {
    return listening ? null : "not listening (starting or stopping)";
  }

  /** Why {@code /healthz} is 503, or null. */
  String healthProblem() {
    String notReady = readinessProblem();
    if (notReady != null) {
      return notReady;
    }
    CountingSink s = sinks;
    long failing = s == null ? 0 : s.failingNanos(System.nanoTime());
    if (failing > unhealthyAfter.toNanos()) {
      return "sinks failing for "
          + TimeUnit.NANOSECONDS.toSeconds(failing)
          + " s (threshold "
          + unhealthyAfter.toSeconds()
          + " s)";
    }
    return null;
  }

  private HttpHandler text(java.util.function.Supplier<String> problem, String okBody) {
    return exchange -> {
      try (HttpExchange e = exchange) {
        e.getRequestBody().readAllBytes();
        if (!"GET".equals(e.getRequestMethod()) && !"HEAD".equals(e.getRequestMethod())) {
          e.getResponseHeaders().set("Allow", "GET, HEAD");
          e.sendResponseHeaders(405, -1);
          return;
        }
        String p = problem.get();
        byte[] body = ((p == null ? okBody : p) + "\n").getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        boolean head = "HEAD".equals(e.getRequestMethod());
        e.sendResponseHeaders(p == null ? 200 : 503, head ? -1 : body.length);
        if (!head) {
          try (OutputStream out = e.getResponseBody()) {
            out.write(body);
          }
        }
      }
    };
  }

  @Override
  public void close() {
    listening = false;
    server.stop(0);
    executor.shutdownNow();
    try {
      meterProvider.close();
    } catch (RuntimeException e) {
      logger.log(Level.FINE, "closing the admin meter provider", e);
    }
  }

  @Override
  public String toString() {
    return "AdminServer{address=" + address() + ", unhealthyAfter=" + unhealthyAfter + "}";
  }
}
