package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Spans per second from {@code guests} guest exporters to one host on this machine, four paths side
 * by side. Every path gets the same allowance: at most {@value #DEPTH} batches per guest sent but
 * not yet answered (span-transport's window in this benchmark); a guest sends its next batch only
 * once fewer than {@value #DEPTH} of its batches are outstanding.
 *
 * <ul>
 *   <li>{@code span-transport}: {@link VsockSpanExporter}s over Unix sockets → one {@link
 *       SpanReceiver} → a sink that accepts at once. A batch is answered when its ACK reaches the
 *       guest (the exporter's {@code spantransport.exporter.spans.acked} counter, read through
 *       {@link AckCounter}).
 *   <li>{@code raw-socket}: the same OTLP bytes (encoded once) written to JDK Unix stream sockets
 *       and drained by one reader thread each; no framing, no codec, no acks. The ceiling: what the
 *       kernel's socket copy allows here. A batch is answered when the reader has read its bytes.
 *   <li>{@code otlp-http}: OpenTelemetry's {@link OtlpHttpSpanExporter} with its JDK {@code
 *       HttpClient} sender ({@code opentelemetry-exporter-sender-jdk}, which sets {@code
 *       TCP_NODELAY}) → a Netty HTTP server on loopback ({@link OtlpHttpServer}: {@code
 *       TCP_NODELAY}, reads the whole body, validates and counts its spans). Answered when the
 *       export's result completes successfully.
 *   <li>{@code otlp-grpc}: OpenTelemetry's {@link OtlpGrpcSpanExporter} (its default OkHttp sender)
 *       → a grpc-java Netty server implementing {@code TraceService/Export} ({@link
 *       OtlpGrpcServer}). Answered like otlp-http.
 * </ul>
 *
 * <p>The primary score is operations per second, one operation being one batch from every guest.
 * The secondary {@code spans} counter is the figure to read: spans <em>answered</em> (acked, read,
 * or confirmed by the server) inside the timed region, per second. Every trial ends by printing
 * each path's request time (send → answer) p50/p99 over its measurement iterations, so a stalled
 * baseline is visible.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class EndToEndBenchmark {

  /** Batches per guest that may be sent but not yet answered. */
  static final int DEPTH = 8;

  private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(120);

  /**
   * Export timeout of the OTLP baselines: their default 10 s counts time queued in the sender, and
   * on a busy shared machine a queued request can exceed it; a timeout is a failure, not a figure.
   */
  private static final Duration OTLP_TIMEOUT = Duration.ofSeconds(60);

  private static final String JDK_HTTP_SENDER =
      "io.opentelemetry.exporter.sender.jdk.internal.JdkHttpSenderProvider";

  @Param({"64", "512"})
  public int batchSize;

  @Param({"1", "8"})
  public int guests;

  @Param({"span-transport", "raw-socket", "otlp-http", "otlp-grpc"})
  public String path;

  private List<SpanData> batch;
  private Path dir;

  /** Per guest: units (spans, or bytes for raw-socket) answered so far. */
  private Progress[] answered;

  /** Per guest: units sent so far (benchmark thread only). */
  private long[] sent;

  /** Units one batch is worth: spans, or bytes for raw-socket. */
  private long unit;

  private long answeredAtIterationStart;

  // process CPU time per answered span over the measurement iterations (a figure that a busy,
  // shared machine's scheduling delays do not inflate, unlike wall-clock throughput)
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private boolean measuring;
  private long cpuAtIterationStart;
  private long measuredCpuNanos;
  private long measuredUnits;
  private final LatencyRecorder requestTimes = new LatencyRecorder(1 << 20);

  // span-transport
  private SpanReceiver receiver;
  private final List<VsockSpanExporter> vsockExporters = new ArrayList<>();
  private AtomicLongArray[] sendTimes; // per guest, DEPTH * 2 slots by batch number

  // raw-socket
  private byte[] payload;
  private final List<SocketChannel> rawClients = new ArrayList<>();
  private ServerSocketChannel rawServer;
  private final List<Thread> rawReaders = new ArrayList<>();

  // otlp-http and otlp-grpc
  private OtlpHttpServer httpServer;
  private OtlpGrpcServer grpcServer;
  private final List<SpanExporter> otlpExporters = new ArrayList<>();
  private final AtomicLong failedExports = new AtomicLong();
  private final List<ExecutorService> otlpExecutors = new ArrayList<>();

  /** Spans answered per second: JMH prints it as a rate beside the primary score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    /** Spans answered since this iteration began (acked, for span-transport). */
    public long spans;

    /** Starts the iteration at zero; each operation then sets the count so far. */
    @Setup(Level.Iteration)
    public void reset() {
      spans = 0;
    }
  }

  /** Starts the receiving side and the guests of {@link #path}. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    batch = BenchmarkSpans.spans(batchSize);
    dir = Files.createTempDirectory("e2e-bench");
    answered = new Progress[guests];
    for (int i = 0; i < guests; i++) {
      answered[i] = new Progress();
    }
    sent = new long[guests];
    switch (path) {
      case "span-transport":
        setUpSpanTransport();
        break;
      case "raw-socket":
        setUpRawSocket();
        break;
      case "otlp-http":
        setUpOtlpHttp();
        break;
      case "otlp-grpc":
        setUpOtlpGrpc();
        break;
      default:
        throw new IllegalArgumentException(
            "path must be span-transport|raw-socket|otlp-http|otlp-grpc: " + path);
    }
  }

  private void setUpSpanTransport() {
    Path socket = dir.resolve("receiver.sock");
    receiver =
        SpanReceiver.builder().addEndpoint("unix:" + socket).addSink(new AcceptingSink()).build();
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      throw new IllegalStateException("receiver did not start: " + receiver);
    }
    sendTimes = new AtomicLongArray[guests];
    for (int i = 0; i < guests; i++) {
      Progress progress = answered[i];
      AtomicLongArray times = new AtomicLongArray(2 * DEPTH);
      sendTimes[i] = times;
      // The exporter records one increment per acked batch, in sequence order.
      long[] ackedBatches = new long[1];
      AckCounter acks =
          new AckCounter(
              spans -> {
                long n = ackedBatches[0]++;
                requestTimes.record(System.nanoTime() - times.get((int) (n % times.length())));
                progress.add(spans);
              });
      vsockExporters.add(
          VsockSpanExporter.builder()
              .setEndpoint("unix:" + socket)
              .setMaxInflightBatches(DEPTH)
              .setMeterProvider(acks)
              .build());
    }
    unit = batchSize;
  }

  private void setUpRawSocket() throws IOException {
    payload = new OtlpSpanEncoder().encode(batch);
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("raw.sock"));
    rawServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    rawServer.bind(address);
    for (int i = 0; i < guests; i++) {
      SocketChannel client = SocketChannel.open(address);
      SocketChannel accepted = rawServer.accept();
      rawClients.add(client);
      Progress progress = answered[i];
      Thread reader = new Thread(() -> drain(accepted, progress), "raw-reader-" + i);
      reader.setDaemon(true);
      reader.start();
      rawReaders.add(reader);
    }
    unit = payload.length;
  }

  private static void drain(SocketChannel channel, Progress progress) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
    try (channel) {
      int n;
      while ((n = channel.read(buffer)) >= 0) {
        progress.add(n);
        buffer.clear();
      }
    } catch (IOException e) {
      // closed at tear-down
    }
  }

  private void setUpOtlpHttp() throws IOException {
    // opentelemetry-exporter-otlp brings the OkHttp sender too; choose the JDK one (TCP_NODELAY).
    System.setProperty("io.opentelemetry.sdk.common.export.HttpSenderProvider", JDK_HTTP_SENDER);
    httpServer = new OtlpHttpServer(2, spans -> {});
    for (int i = 0; i < guests; i++) {
      // The JDK sender blocks one executor thread per request, and its own pool stops at
      // max(5, cores) threads and rejects beyond; give it one thread per allowed request.
      ExecutorService executor = senderThreads("otlp-http-" + i);
      otlpExporters.add(
          OtlpHttpSpanExporter.builder()
              .setEndpoint(httpServer.endpoint())
              .setTimeout(OTLP_TIMEOUT)
              .setExecutorService(executor)
              .build());
    }
    unit = batchSize;
  }

  private void setUpOtlpGrpc() throws IOException {
    grpcServer = new OtlpGrpcServer(request -> {});
    for (int i = 0; i < guests; i++) {
      // The OkHttp sender's own dispatcher pool (max(5, cores) threads, no queue) rejects calls
      // once 5 are running ("executor rejected"); give it one thread per allowed request. OkHttp
      // still runs at most 5 calls per host at once and queues the rest.
      ExecutorService executor = senderThreads("otlp-grpc-" + i);
      otlpExporters.add(
          OtlpGrpcSpanExporter.builder()
              .setEndpoint(grpcServer.endpoint())
              .setTimeout(OTLP_TIMEOUT)
              .setExecutorService(executor)
              .build());
    }
    unit = batchSize;
  }

  /** Keeps request times of measurement iterations only, and marks where the iteration began. */
  @Setup(Level.Iteration)
  public void startIteration(IterationParams iteration) {
    measuring = iteration.getType() == IterationType.MEASUREMENT;
    requestTimes.enable(measuring);
    answeredAtIterationStart = answeredUnits();
    cpuAtIterationStart = os.getProcessCpuTime();
  }

  /** Sends one batch from every guest, each once it has fewer than {@value #DEPTH} outstanding. */
  @Benchmark
  public void deliver(Counters counters) throws Exception {
    for (int i = 0; i < guests; i++) {
      answered[i].await(sent[i] - (DEPTH - 1) * unit);
      send(i);
      sent[i] += unit;
    }
    counters.spans = (answeredUnits() - answeredAtIterationStart) / unit * batchSize;
  }

  private void send(int guest) throws IOException {
    switch (path) {
      case "span-transport":
        {
          AtomicLongArray times = sendTimes[guest];
          times.set((int) ((sent[guest] / unit) % times.length()), System.nanoTime());
          VsockSpanExporter exporter = vsockExporters.get(guest);
          if (!exporter.export(batch).isSuccess()) {
            throw new IllegalStateException("export refused by " + exporter);
          }
          break;
        }
      case "raw-socket":
        {
          ByteBuffer buffer = ByteBuffer.wrap(payload);
          SocketChannel client = rawClients.get(guest);
          while (buffer.hasRemaining()) {
            client.write(buffer);
          }
          break;
        }
      default:
        {
          if (failedExports.get() > 0) {
            throw new IllegalStateException(failedExports.get() + " exports failed on " + path);
          }
          long start = System.nanoTime();
          Progress progress = answered[guest];
          CompletableResultCode result = otlpExporters.get(guest).export(batch);
          result.whenComplete(
              () -> {
                requestTimes.record(System.nanoTime() - start);
                if (result.isSuccess()) {
                  progress.add(unit);
                } else {
                  failedExports.incrementAndGet();
                  progress.fail();
                }
              });
          break;
        }
    }
  }

  /** Spans answered since set-up, over all guests. */
  long answeredSpans() {
    return answeredUnits() / unit * batchSize;
  }

  /** Spans sent since set-up, over all guests. */
  long sentSpans() {
    long total = 0;
    for (long s : sent) {
      total += s;
    }
    return total / unit * batchSize;
  }

  private long answeredUnits() {
    long total = 0;
    for (Progress p : answered) {
      total += p.count();
    }
    return total;
  }

  /** Ends the iteration with every batch answered, so none is counted in the next one. */
  @TearDown(Level.Iteration)
  public void drainIteration() {
    for (int i = 0; i < guests; i++) {
      answered[i].await(sent[i]);
    }
    requestTimes.enable(false);
    if (measuring) {
      measuredCpuNanos += os.getProcessCpuTime() - cpuAtIterationStart;
      measuredUnits += answeredUnits() - answeredAtIterationStart;
    }
  }

  /** Prints the request times, then stops everything {@link #setUp()} started. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    double spans = (double) measuredUnits / unit * batchSize;
    if (spans > 0) { // nothing measured when driven by EndToEndCpuCheck, which prints its own
      printSummary(spans);
    }
    for (VsockSpanExporter exporter : vsockExporters) {
      exporter.shutdown().join(30, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.shutdown().join(30, TimeUnit.SECONDS);
    }
    for (SocketChannel client : rawClients) {
      client.close();
    }
    for (Thread reader : rawReaders) {
      reader.join(10_000);
    }
    if (rawServer != null) {
      rawServer.close();
    }
    for (SpanExporter exporter : otlpExporters) {
      exporter.shutdown().join(30, TimeUnit.SECONDS);
    }
    for (ExecutorService executor : otlpExecutors) {
      executor.shutdownNow();
    }
    if (httpServer != null) {
      httpServer.close();
    }
    if (grpcServer != null) {
      grpcServer.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(EndToEndBenchmark::delete);
    }
  }

  private void printSummary(double spans) {
    System.out.println();
    System.out.println(
        String.format(
            Locale.ROOT,
            "# %s batch=%d guests=%d: process CPU %,.0f ns per span (%,.0f spans per CPU-second);"
                + " request time (send to %s): %s",
            path,
            batchSize,
            guests,
            measuredCpuNanos / spans,
            spans / (measuredCpuNanos / 1e9),
            "raw-socket".equals(path) ? "read" : "span-transport".equals(path) ? "ack" : "response",
            "raw-socket".equals(path) ? "not measured" : requestTimes.summary()));
  }

  /** {@value #DEPTH} daemon threads for one OTLP exporter's sender, shut down at tear-down. */
  private ExecutorService senderThreads(String prefix) {
    ExecutorService executor = Executors.newFixedThreadPool(DEPTH, daemonThreads(prefix));
    otlpExecutors.add(executor);
    return executor;
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicLong n = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A count the benchmark thread waits on; whoever adds wakes it once its target is reached. One
   * waiter at a time (the benchmark thread).
   */
  static final class Progress {
    private final AtomicLong count = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile Thread waiter;
    private volatile boolean failed;

    void add(long units) {
      if (count.addAndGet(units) >= target) {
        wake();
      }
    }

    /** Wakes the waiter so that {@link #await} throws. */
    void fail() {
      failed = true;
      wake();
    }

    private void wake() {
      Thread w = waiter;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }

    long count() {
      return count.get();
    }

    /** Returns once the count reaches {@code value}; throws after 120 s or on a failure. */
    void await(long value) {
      if (count.get() >= value) {
        return;
      }
      waiter = Thread.currentThread();
      target = value;
      long deadline = System.nanoTime() + WAIT_NANOS;
      while (count.get() < value) {
        if (failed) {
          throw new IllegalStateException(
              "a send failed; answered " + count.get() + " of " + value);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("answered " + count.get() + " of " + value + " in time");
        }
        LockSupport.parkNanos(1_000_000);
      }
      target = Long.MAX_VALUE;
    }
  }

  /** The host's sink: accepts every batch at once. */
  static final class AcceptingSink implements SpanSink {
    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
