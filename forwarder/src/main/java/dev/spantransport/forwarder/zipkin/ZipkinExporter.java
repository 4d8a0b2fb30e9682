package dev.spantransport.forwarder.zipkin;

import dev.spantransport.forwarder.zipkin.internal.JdkHttpZipkinSender;
import dev.spantransport.forwarder.zipkin.internal.ZipkinRefusedException;
import dev.spantransport.forwarder.zipkin.internal.ZipkinSpans;
import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import zipkin2.reporter.SpanBytesEncoder;

/**
 * A {@link SpanExporter} that sends spans to a Zipkin collector as JSON v2 ({@code POST
 * /api/v2/spans}) with Zipkin's own libraries: each span is mapped to {@code zipkin2.Span}, encoded
 * by zipkin-reporter's {@link SpanBytesEncoder#JSON_V2} and posted by a zipkin-reporter HTTP sender
 * on the JDK's HTTP client.
 *
 * <p>It replaces OpenTelemetry's {@code ZipkinSpanExporter}, whose newest release (1.59) fails at
 * construction against the 1.68 SDK, and differs from it on purpose: resource attributes other than
 * {@code service.name} become tags, so the guest identity ({@code spantransport.peer.*}) the
 * receiver puts on the resource reaches Zipkin, written after everything else so a guest cannot
 * forge it. Zipkin's model lowercases span and service names, as the Zipkin server itself does.
 *
 * <p>{@link #export} maps and encodes on the caller's thread and returns at once; the POSTs run on
 * the exporter's own daemon threads ({@code zipkin-exporter-N}, at most {@link
 * ZipkinExporterBuilder#setMaxConcurrentRequests}; more wait in order). A batch above {@link
 * ZipkinExporterBuilder#setMaxMessageBytes} is posted in parts, in order; if one part fails the
 * batch fails, and a resend may post the earlier parts again (Zipkin keeps one copy per span id).
 *
 * <p>Results: success when the collector answered 2xx to every part. A 3xx or 4xx answer other than
 * 408 and 429 fails the result with a {@link BatchRejectedException} (permanent: the receiver drops
 * the batch and tells the guest), as does a span Zipkin cannot represent (an invalid trace or span
 * id). A 5xx, 408 or 429 answer, a timeout or a connection failure fails it without one (retryable:
 * the guest resends). Every failure is logged.
 */
public final class ZipkinExporter implements SpanExporter {

  // A collector outage fails every batch: a few lines a minute say so, the rest are counted.
  private static final RateLimitedLogger logger =
      new RateLimitedLogger(Logger.getLogger(ZipkinExporter.class.getName()), 5, 60_000);

  private static final int CLIENT_THREADS = 2;

  private final String endpoint;
  private final Duration timeout;
  private final int maxConcurrentRequests;
  private final int maxMessageBytes;
  private final JdkHttpZipkinSender sender;
  private final ThreadPoolExecutor posters;
  private final ThreadPoolExecutor clientTasks;
  private final Set<CompletableResultCode> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean shutdown = new AtomicBoolean();

  ZipkinExporter(
      String endpoint, Duration timeout, int maxConcurrentRequests, int maxMessageBytes) {
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.maxConcurrentRequests = maxConcurrentRequests;
    this.maxMessageBytes = maxMessageBytes;
    this.posters = pool("zipkin-exporter", maxConcurrentRequests);
    // The client's own short tasks get threads apart from the blocked posters, which would
    // otherwise wait forever for the client to start their exchanges; never the common pool.
    this.clientTasks = pool("zipkin-exporter-client", CLIENT_THREADS);
    this.sender = new JdkHttpZipkinSender(endpoint, timeout, clientTasks);
  }

  /**
   * Returns a builder with the defaults ({@value ZipkinExporterBuilder#DEFAULT_ENDPOINT}, 10 s per
   * POST).
   *
   * @return a new builder
   */
  public static ZipkinExporterBuilder builder() {
    return new ZipkinExporterBuilder();
  }

  /**
   * Maps and encodes the spans and posts them; the result completes when the collector answered
   * every part (see the class description for how failures are reported), and fails at once after
   * {@link #shutdown()}.
   */
  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    if (spans.isEmpty()) {
      return CompletableResultCode.ofSuccess();
    }
    List<List<byte[]>> messages;
    try {
      messages = encode(spans);
    } catch (IllegalArgumentException e) {
      logger.log(
          Level.WARNING,
          "zipkin cannot represent a span of a batch of " + spans.size() + ": " + e.getMessage());
      return CompletableResultCode.ofExceptionalFailure(
          new BatchRejectedException("span not representable in Zipkin: " + e.getMessage(), e));
    }
    CompletableResultCode result = new CompletableResultCode();
    inFlight.add(result);
    result.whenComplete(() -> inFlight.remove(result));
    try {
      posters.execute(() -> post(messages, spans.size(), result));
    } catch (RejectedExecutionException e) {
      logger.log(Level.WARNING, "exporter shut down; not sending " + spans.size() + " spans");
      result.failExceptionally(e);
    }
    return result;
  }

  /** Zipkin JSON v2 of each span, grouped into messages of at most {@code maxMessageBytes}. */
  private List<List<byte[]>> encode(Collection<SpanData> spans) {
    List<List<byte[]>> messages = new ArrayList<>();
    List<byte[]> message = new ArrayList<>();
    int bytes = 2; // the JSON list's brackets
    for (SpanData span : spans) {
      byte[] json = SpanBytesEncoder.JSON_V2.encode(ZipkinSpans.toZipkin(span));
      int added = json.length + (message.isEmpty() ? 0 : 1); // a comma between spans
      if (!message.isEmpty() && bytes + added > maxMessageBytes) {
        messages.add(message);
        message = new ArrayList<>();
        bytes = 2;
        added = json.length;
      }
      message.add(json);
      bytes += added;
    }
    messages.add(message);
    return messages;
  }

  /** Runs on a poster thread: the messages in order, then completes {@code result}. */
  private void post(List<List<byte[]>> messages, int spans, CompletableResultCode result) {
    try {
      for (List<byte[]> message : messages) {
        sender.send(message);
      }
      result.succeed();
    } catch (ZipkinRefusedException e) {
      if (e.permanent()) {
        logger.log(
            Level.WARNING,
            "zipkin at "
                + endpoint
                + " refused "
                + spans
                + " spans: "
                + e.getMessage()
                + " (not retryable; batch dropped)");
        result.failExceptionally(
            new BatchRejectedException("zipkin refused the batch: " + e.getMessage(), e));
      } else {
        logger.log(
            Level.WARNING,
            "zipkin at " + endpoint + " refused " + spans + " spans for now: " + e.getMessage());
        result.fail();
      }
    } catch (IOException | RuntimeException e) {
      logger.log(
          Level.WARNING, "cannot send " + spans + " spans to zipkin at " + endpoint + ": " + e);
      result.failExceptionally(e);
    }
  }

  /** Completes when every POST started so far has been answered. */
  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofAll(List.copyOf(inFlight));
  }

  /**
   * Refuses further exports and completes when the POSTs in flight have been answered; then ends
   * the exporter's threads. A second call succeeds at once.
   */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      logger.log(Level.FINE, "already shut down");
      return CompletableResultCode.ofSuccess();
    }
    CompletableResultCode drained = flush();
    drained.whenComplete(
        () -> {
          posters.shutdown();
          sender.close();
          clientTasks.shutdown();
        });
    return drained;
  }

  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "ZipkinExporter{", "}");
    j.add("endpoint=" + endpoint);
    j.add("timeout=" + timeout);
    j.add("maxConcurrentRequests=" + maxConcurrentRequests);
    j.add("maxMessageBytes=" + maxMessageBytes);
    return j.toString();
  }

  /** At most {@code threads} daemon threads, started on demand, ended after a minute idle. */
  private static ThreadPoolExecutor pool(String name, int threads) {
    AtomicInteger count = new AtomicInteger();
    ThreadFactory base = Executors.defaultThreadFactory();
    ThreadFactory named =
        task -> {
          Thread t = base.newThread(task);
          t.setName(name + "-" + count.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
