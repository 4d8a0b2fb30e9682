package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What exporting costs the application, and how long a span takes to reach the host, for the SDK's
 * {@link BatchSpanProcessor} (default settings, batches of up to 512 and a 5 s schedule delay, but
 * a larger queue) in front of each exporter:
 *
 * <ul>
 *   <li>{@code span-transport}: {@link VsockSpanExporter} over a Unix socket → {@link SpanReceiver}
 *       in this JVM;
 *   <li>{@code otlp-grpc}: {@link OtlpGrpcSpanExporter} (OkHttp sender) → a grpc-java server in
 *       this JVM ({@link OtlpGrpcServer});
 *   <li>{@code sdk-only}: an exporter that discards each batch, the SDK's own cost as a reference.
 * </ul>
 *
 * <p>One application thread starts and ends spans like {@link BenchmarkSpans}' (8 attributes, one
 * event) at a steady rate. After a warm-up, each thread's CPU time ({@link
 * ThreadMXBean#getThreadCpuTime}) is read at the start and end of the measured phase and divided by
 * the spans ended in it, by role: the application thread, the batch processor's worker (which calls
 * {@code export}), the exporter's own I/O threads, and, apart, the host's threads. The achieved
 * rate is printed too: below the target, the application thread itself was starved of CPU. The host
 * measures each span's latency from its end timestamp (the SDK's clock, here {@code
 * System.nanoTime} based) to the moment its batch reaches the host's handler, and the run checks
 * that the host got exactly the spans ended.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.GuestCost \
 *     [spansPerSecond=10000] [warmupSeconds=10] [seconds=10] [exporters=span-transport,otlp-grpc,sdk-only]
 * </pre>
 */
public final class GuestCost {
  private static final long EPOCH_BASE =
      TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis()) - System.nanoTime();

  /** The SDK's clock and the host's: epoch nanoseconds from {@link System#nanoTime()}. */
  private static final Clock CLOCK =
      new Clock() {
        @Override
        public long now() {
          return EPOCH_BASE + System.nanoTime();
        }

        @Override
        public long nanoTime() {
          return System.nanoTime();
        }
      };

  /**
   * The batch processor's queue: larger than its default 2,048 so that a scheduling stall of its
   * worker on a shared machine drops nothing (a drop would make the exact count check fail); it
   * does not change when batches are exported (every 512 spans, or every 5 s).
   */
  private static final int MAX_QUEUE_SIZE = 1 << 16;

  private static final String[] ROUTES = {
    "/api/cart", "/api/checkout", "/api/items/{id}", "/health"
  };

  private final LatencyRecorder latency = new LatencyRecorder(1 << 22);
  private final AtomicLong hostSpans = new AtomicLong();

  private GuestCost() {}

  /**
   * Runs each exporter in turn and prints one line per exporter.
   *
   * @param args see the class javadoc
   * @throws Exception if a part fails to start or the host misses spans
   */
  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    String[] exporters =
        (args.length > 3 ? args[3] : "span-transport,otlp-grpc,sdk-only").split(",");
    System.out.printf(
        Locale.ROOT,
        "%d spans/s, %d s warm-up, %d s measured; BatchSpanProcessor defaults but maxQueueSize=%d%n",
        rate,
        warmup,
        seconds,
        MAX_QUEUE_SIZE);
    System.out.printf(
        Locale.ROOT,
        "%-15s %9s %9s %11s %11s %11s %11s | %11s %12s %12s%n",
        "exporter",
        "spans",
        "spans/s",
        "app ns/sp",
        "bsp ns/sp",
        "io ns/sp",
        "guest ns/sp",
        "host ns/sp",
        "latency p50",
        "latency p99");
    for (String exporter : exporters) {
      System.out.println(new GuestCost().run(exporter.trim(), rate, warmup, seconds));
    }
  }

  private String run(String name, int rate, int warmup, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("guest-cost");
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    SdkMeterProvider meterProvider =
        SdkMeterProvider.builder().registerMetricReader(metrics).build();
    SpanReceiver receiver = null;
    OtlpGrpcServer grpcServer = null;
    ExecutorService grpcExecutor = null;
    SpanExporter exporter;
    switch (name) {
      case "span-transport":
        {
          Path socket = dir.resolve("receiver.sock");
          receiver =
              SpanReceiver.builder()
                  .addEndpoint("unix:" + socket)
                  .addSink(new LatencySink(this))
                  .build();
          if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
            throw new IllegalStateException("receiver did not start");
          }
          exporter =
              VsockSpanExporter.builder()
                  .setEndpoint("unix:" + socket)
                  .setMeterProvider(meterProvider)
                  .build();
          break;
        }
      case "otlp-grpc":
        {
          grpcServer = new OtlpGrpcServer(this::onGrpcRequest);
          grpcExecutor =
              Executors.newFixedThreadPool(
                  8,
                  r -> {
                    Thread t = new Thread(r, "otlp-grpc-sender");
                    t.setDaemon(true);
                    return t;
                  });
          exporter =
              OtlpGrpcSpanExporter.builder()
                  .setEndpoint(grpcServer.endpoint())
                  .setExecutorService(grpcExecutor)
                  .build();
          break;
        }
      case "sdk-only":
        exporter = new DiscardingExporter(this);
        break;
      default:
        throw new IllegalArgumentException(
            "exporter must be span-transport|otlp-grpc|sdk-only: " + name);
    }
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setClock(CLOCK)
            .setResource(BenchmarkSpans.RESOURCE)
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter).setMaxQueueSize(MAX_QUEUE_SIZE).build())
            .build();
    Tracer tracer =
        provider
            .tracerBuilder(BenchmarkSpans.SCOPE.getName())
            .setInstrumentationVersion(BenchmarkSpans.SCOPE.getVersion())
            .build();
    try {
      long ended = endSpans(tracer, rate, warmup, 0);
      Map<Long, Long> before = threadCpu();
      long app0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
      latency.enable(true);
      long measured = endSpans(tracer, rate, seconds, ended);
      long app1 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
      // let the last batches of the measured phase reach the host before reading the CPU times
      boolean flushed = provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess();
      latency.enable(false);
      Map<Long, Long> after = threadCpu();
      long total = ended + measured;
      if (name.equals("span-transport")) {
        VsockSpanExporter vsock = (VsockSpanExporter) exporter;
        flushed &= vsock.flush().join(30, TimeUnit.SECONDS).isSuccess();
      }
      String line = line(name, measured, seconds, app1 - app0, cpuByRole(before, after));
      if (!flushed) {
        line += "  FLUSH FAILED (an export failed or timed out)";
      }
      long lost = total - hostSpans.get();
      if (lost != 0) {
        // never hidden: the spans the host did not get, and the exporter's own account of them
        line += String.format(Locale.ROOT, "  LOST %,d of %,d; %s", lost, total, counters(metrics));
      }
      return line;
    } finally {
      provider.shutdown().join(30, TimeUnit.SECONDS);
      if (receiver != null) {
        receiver.shutdown().join(30, TimeUnit.SECONDS);
      }
      if (grpcServer != null) {
        grpcServer.close();
      }
      if (grpcExecutor != null) {
        grpcExecutor.shutdownNow();
      }
      Files.deleteIfExists(dir.resolve("receiver.sock"));
      Files.deleteIfExists(dir);
    }
  }

  /** Ends spans at {@code rate} per second for {@code seconds}; returns how many. */
  private static long endSpans(Tracer tracer, int rate, int seconds, long first) {
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    long n = 0;
    long now;
    while ((now = System.nanoTime()) < end) {
      long due = (now - start) * rate / 1_000_000_000L;
      while (n < due) {
        endOneSpan(tracer, first + n);
        n++;
      }
      LockSupport.parkNanos(200_000);
    }
    return n;
  }

  private static void endOneSpan(Tracer tracer, long i) {
    String route = ROUTES[(int) (i % ROUTES.length)];
    String method = i % 3 == 0 ? "POST" : "GET";
    Span span =
        tracer
            .spanBuilder("HTTP " + method + " " + route)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", method)
            .setAttribute("http.route", route)
            .setAttribute("url.full", "https://shop.example.com" + route + "?page=" + (i % 10))
            .setAttribute("http.response.status_code", 200L + (i % 7 == 0 ? 300 : 0))
            .setAttribute("server.address", "shop.example.com")
            .setAttribute("network.peer.port", 40_000L + (i * 7919) % 20_000)
            .setAttribute("retry", i % 11 == 0)
            .setAttribute("app.cart.total", 12.5 + (i % 1000) / 10.0)
            .startSpan();
    span.addEvent(
        "cache.lookup",
        Attributes.of(
            AttributeKey.stringKey("cache.key"),
            "cart:" + (i * 31) % 100_000,
            AttributeKey.booleanKey("cache.hit"),
            i % 2 == 0));
    span.end();
  }

  private void onGrpcRequest(ExportTraceServiceRequest request) {
    long now = CLOCK.now();
    int n = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
          latency.record(now - s.getEndTimeUnixNano());
          n++;
        }
      }
    }
    hostSpans.addAndGet(n);
  }

  private void onSpanData(Collection<SpanData> spans) {
    long now = CLOCK.now();
    for (SpanData s : spans) {
      latency.record(now - s.getEndEpochNanos());
    }
    hostSpans.addAndGet(spans.size());
  }

  /** The exporter's self-metrics that are counters, as "name{attributes}=value". */
  private static String counters(InMemoryMetricReader reader) {
    StringBuilder out = new StringBuilder();
    for (MetricData metric : reader.collectAllMetrics()) {
      if (metric.getType() == MetricDataType.LONG_SUM) {
        for (LongPointData point : metric.getLongSumData().getPoints()) {
          out.append(metric.getName())
              .append(point.getAttributes().isEmpty() ? "" : point.getAttributes().toString())
              .append('=')
              .append(point.getValue())
              .append(' ');
        }
      }
    }
    return out.toString().trim();
  }

  /** CPU nanoseconds of every live thread, by id. */
  private static Map<Long, Long> threadCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    for (long id : mx.getAllThreadIds()) {
      long t = mx.getThreadCpuTime(id);
      if (t >= 0) {
        cpu.put(id, t);
      }
    }
    return cpu;
  }

  /** CPU nanoseconds spent between the snapshots by BSP worker, exporter I/O and host threads. */
  private static long[] cpuByRole(Map<Long, Long> before, Map<Long, Long> after) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    long[] byRole = new long[3]; // bsp worker, exporter I/O, host
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      long id = e.getKey();
      if (id == self) {
        continue;
      }
      ThreadInfo info = mx.getThreadInfo(id);
      if (info == null) {
        continue;
      }
      long spent = e.getValue() - before.getOrDefault(id, 0L);
      String thread = info.getThreadName();
      if (thread.startsWith("BatchSpanProcessor")) {
        byRole[0] += spent;
      } else if (thread.startsWith("span-transport-vsock-exporter")
          || thread.startsWith("otlp-grpc-sender")
          || thread.startsWith("OkHttp")
          || thread.startsWith("okhttp")) {
        byRole[1] += spent;
      } else if (thread.startsWith("span-receiver") || thread.startsWith("grpc-")) {
        byRole[2] += spent;
      }
    }
    return byRole;
  }

  private String line(String name, long spans, int seconds, long appCpu, long[] byRole) {
    long[] sorted = latency.sorted();
    return String.format(
        Locale.ROOT,
        "%-15s %,9d %9.0f %11.0f %11.0f %11.0f %11.0f | %11.0f %9.2f ms %9.2f ms",
        name,
        spans,
        (double) spans / seconds,
        (double) appCpu / spans,
        (double) byRole[0] / spans,
        (double) byRole[1] / spans,
        (double) (appCpu + byRole[0] + byRole[1]) / spans,
        (double) byRole[2] / spans,
        LatencyRecorder.quantile(sorted, 0.50) / 1e6,
        LatencyRecorder.quantile(sorted, 0.99) / 1e6);
  }

  /** The host's sink: decodes each batch to read its spans' end times. */
  private static final class LatencySink implements SpanSink {
    private final GuestCost run;
    private final OtlpSpanDecoder decoder = new OtlpSpanDecoder();

    LatencySink(GuestCost run) {
      this.run = run;
    }

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      try {
        run.onSpanData(decoder.decode(batch.buffer(), batch.offset(), batch.length()));
        return CompletableResultCode.ofSuccess();
      } catch (IOException e) {
        return CompletableResultCode.ofExceptionalFailure(e);
      }
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** The reference: the batch processor's work with nothing sent. */
  private static final class DiscardingExporter implements SpanExporter {
    private final GuestCost run;

    DiscardingExporter(GuestCost run) {
      this.run = run;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      run.onSpanData(spans);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
