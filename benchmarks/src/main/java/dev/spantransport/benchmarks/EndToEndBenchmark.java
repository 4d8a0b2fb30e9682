package dev.spantransport.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

/**
 * Spans per second from guest exporters to a host sink over a Unix socket on this machine, for
 * three paths side by side:
 *
 * <ul>
 *   <li>{@code span-transport}: {@code guests} {@link VsockSpanExporter}s → one {@link
 *       SpanReceiver} → a counting {@link SpanSink}. Each operation exports one batch per guest and
 *       then waits until the sink has counted every span exported more than {@value #DEPTH} batches
 *       per guest ago, so up to {@value #DEPTH} batches per guest are in flight (as under the SDK's
 *       batch processor, whose export completes once the batch is in the window). Every iteration
 *       ends with {@code flush()} on every exporter, which waits for the host's acks.
 *   <li>{@code raw-socket}: the same OTLP bytes (encoded once) written to {@code guests} JDK Unix
 *       stream sockets and drained by one reader thread each; no framing, no codec, no acks. The
 *       ceiling: what the kernel's socket copy allows on this machine.
 *   <li>{@code otlp-http}: {@code guests} OpenTelemetry {@link OtlpHttpSpanExporter}s → a minimal
 *       loopback JDK {@link HttpServer} that reads the body and answers 200. Each operation exports
 *       one batch per guest and waits for every response (the batch processor waits for an export's
 *       result before the next).
 * </ul>
 *
 * <p>The primary score is operations per second, one operation being one batch from every guest;
 * the secondary {@code spans} counter is the figure to read: spans/s (= ops/s × guests ×
 * batchSize).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class EndToEndBenchmark {

  /** Batches per guest that may be exported but not yet counted by the sink. */
  static final int DEPTH = 8;

  private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

  @Param({"64", "512"})
  public int batchSize;

  @Param({"1", "8"})
  public int guests;

  @Param({"span-transport", "raw-socket", "otlp-http"})
  public String path;

  private List<SpanData> batch;
  private Path dir;
  private final Progress progress = new Progress();
  private long issued;
  private long unitsPerRound;
  private long slack;

  // span-transport
  private SpanReceiver receiver;
  private final List<VsockSpanExporter> vsockExporters = new ArrayList<>();

  // raw-socket
  private byte[] payload;
  private final List<SocketChannel> rawClients = new ArrayList<>();
  private ServerSocketChannel rawServer;
  private final List<Thread> rawReaders = new ArrayList<>();

  // otlp-http
  private HttpServer httpServer;
  private ExecutorService httpExecutor;
  private final List<SpanExporter> httpExporters = new ArrayList<>();
  private final List<CompletableResultCode> pending = new ArrayList<>();

  /** Spans delivered per second: JMH prints it as a rate beside the primary score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    /** Spans delivered by the operations of this iteration. */
    public long spans;
  }

  /** Starts the receiving side and the guests of {@link #path}. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    batch = BenchmarkSpans.spans(batchSize);
    dir = Files.createTempDirectory("e2e-bench");
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
      default:
        throw new IllegalArgumentException(
            "path must be span-transport|raw-socket|otlp-http: " + path);
    }
  }

  private void setUpSpanTransport() {
    Path socket = dir.resolve("receiver.sock");
    receiver =
        SpanReceiver.builder()
            .addEndpoint("unix:" + socket)
            .addSink(new CountingSink(progress))
            .build();
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      throw new IllegalStateException("receiver did not start: " + receiver);
    }
    for (int i = 0; i < guests; i++) {
      vsockExporters.add(VsockSpanExporter.builder().setEndpoint("unix:" + socket).build());
    }
    unitsPerRound = (long) guests * batchSize;
    slack = DEPTH * unitsPerRound;
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
      Thread reader = new Thread(() -> drain(accepted), "raw-reader-" + i);
      reader.setDaemon(true);
      reader.start();
      rawReaders.add(reader);
    }
    unitsPerRound = (long) guests * payload.length;
    slack = DEPTH * unitsPerRound;
  }

  private void drain(SocketChannel channel) {
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
    // Without TCP_NODELAY the JDK server's small responses meet the client's delayed ACK (~40 ms
    // stalls), which would make the baseline look far worse than a real collector.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    httpServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    httpExecutor = Executors.newFixedThreadPool(Math.max(2, guests));
    httpServer.setExecutor(httpExecutor);
    httpServer.createContext(
        "/v1/traces",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputSink.INSTANCE);
          }
          exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    httpServer.start();
    String endpoint = "http://127.0.0.1:" + httpServer.getAddress().getPort() + "/v1/traces";
    for (int i = 0; i < guests; i++) {
      httpExporters.add(OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build());
    }
  }

  /** Sends one batch from every guest; see the class javadoc for when it returns. */
  @Benchmark
  public void deliver(Counters counters) throws Exception {
    switch (path) {
      case "span-transport":
        for (int i = 0; i < vsockExporters.size(); i++) {
          CompletableResultCode result = vsockExporters.get(i).export(batch);
          if (!result.join(10, TimeUnit.SECONDS).isSuccess()) {
            throw new IllegalStateException("export refused by " + vsockExporters.get(i));
          }
        }
        issued += unitsPerRound;
        progress.await(issued - slack);
        break;
      case "raw-socket":
        for (int i = 0; i < rawClients.size(); i++) {
          ByteBuffer buffer = ByteBuffer.wrap(payload);
          SocketChannel client = rawClients.get(i);
          while (buffer.hasRemaining()) {
            client.write(buffer);
          }
        }
        issued += unitsPerRound;
        progress.await(issued - slack);
        break;
      default:
        pending.clear();
        for (int i = 0; i < httpExporters.size(); i++) {
          pending.add(httpExporters.get(i).export(batch));
        }
        for (int i = 0; i < pending.size(); i++) {
          if (!pending.get(i).join(10, TimeUnit.SECONDS).isSuccess()) {
            throw new IllegalStateException("otlp-http export failed");
          }
        }
        break;
    }
    counters.spans += (long) guests * batchSize;
  }

  /** Ends the iteration with everything delivered (and, for span-transport, acked). */
  @TearDown(Level.Iteration)
  public void drainIteration() {
    if (!"otlp-http".equals(path)) {
      progress.await(issued);
    }
    for (VsockSpanExporter exporter : vsockExporters) {
      if (!exporter.flush().join(30, TimeUnit.SECONDS).isSuccess()) {
        throw new IllegalStateException("flush (acks) failed: " + exporter);
      }
    }
  }

  /** Stops everything {@link #setUp()} started. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
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
    for (SpanExporter exporter : httpExporters) {
      exporter.shutdown().join(30, TimeUnit.SECONDS);
    }
    if (httpServer != null) {
      httpServer.stop(0);
      httpExecutor.shutdownNow();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(EndToEndBenchmark::delete);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A counter the benchmark thread waits on; whoever adds wakes it once the target is reached. */
  static final class Progress {
    private final AtomicLong count = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile Thread waiter;

    void add(long units) {
      if (count.addAndGet(units) >= target) {
        Thread w = waiter;
        if (w != null) {
          LockSupport.unpark(w);
        }
      }
    }

    void await(long value) {
      if (count.get() >= value) {
        return;
      }
      waiter = Thread.currentThread();
      target = value;
      long deadline = System.nanoTime() + WAIT_NANOS;
      while (count.get() < value) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("delivered " + count.get() + " of " + value + " in time");
        }
        LockSupport.parkNanos(1_000_000);
      }
      target = Long.MAX_VALUE;
    }
  }

  /** The host's sink: counts spans and accepts at once. */
  static final class CountingSink implements SpanSink {
    private final Progress progress;

    CountingSink(Progress progress) {
      this.progress = progress;
    }

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      progress.add(batch.spanCount());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** Discards bytes. */
  private static final class OutputSink extends java.io.OutputStream {
    static final OutputSink INSTANCE = new OutputSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
