package dev.spantransport.sink;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpResourceRewriter;
import dev.spantransport.sink.internal.DaemonThreads;
import dev.spantransport.sink.internal.GuestResources;
import dev.spantransport.spi.Signal;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A sink of every signal ({@link SpanSink}, {@link LogSink}, {@link MetricSink}) that forwards each
 * batch's raw OTLP bytes to an OTLP/HTTP collector ({@code POST <endpoint>/v1/traces}, {@code
 * /v1/logs} or {@code /v1/metrics} by the batch's signal, {@code Content-Type:
 * application/x-protobuf}) without decoding them. Add the same instance to a receiver for each
 * signal to forward; it shares its request slots between them.
 *
 * <p>The only change made to the bytes is the guest identity: each resource gets the batch's
 * {@linkplain SpanBatch#identity() identity attributes} and loses payload attributes under {@code
 * spantransport.peer.}. That rewrite happens inside {@link #accept}, which copies the payload, so
 * the batch view is not kept.
 *
 * <p>Requests go through the JDK {@link HttpClient}: {@link #accept} returns at once and each
 * request is sent, blocking, on one of the sink's own daemon threads ({@code otlp-http-sink-N}, at
 * most max concurrent requests of them; retries wait on {@code otlp-http-sink-retry-1}; the
 * client's own tasks run on {@code otlp-http-sink-client-N}), never on {@code
 * ForkJoinPool.commonPool()}, which anything else in the JVM may block. A request that fails with a
 * connection error or a retryable status (429, 502, 503, 504) is retried with exponential backoff
 * and full jitter, until {@linkplain OtlpHttpSinkBuilder#setMaxAttempts max attempts} or the
 * {@linkplain OtlpHttpSinkBuilder#setMaxRetryDuration retry deadline} is reached. At most {@link
 * OtlpHttpSinkBuilder#setMaxConcurrentRequests max concurrent requests} are in flight; when they
 * are, {@link #accept} fails at once so the receiver tells the guest to resend later (backpressure)
 * instead of queueing without bound.
 *
 * <p>As the OTLP/HTTP specification prescribes, every other 4xx or 5xx status (400 and 413 among
 * them) is not retried: the collector will never take that request. Such a batch, and one whose
 * payload cannot be rewritten because it is not valid OTLP, fails with a {@link
 * BatchRejectedException}, so the receiver drops it instead of having the guest resend it; every
 * other failure is retryable.
 */
public final class OtlpHttpSink implements SpanSink, LogSink, MetricSink {

  private static final Logger baseLogger = Logger.getLogger(OtlpHttpSink.class.getName());
  private static final RateLimitedLogger logger = new RateLimitedLogger(baseLogger, 5, 60_000);

  private final OtlpHttpSinkBuilder config;
  private final Map<Signal, URI> uris = new EnumMap<>(Signal.class);
  private final String base;
  private final HttpClient client;
  private final ExecutorService sender;
  private final ExecutorService clientTasks;
  private final ScheduledExecutorService retries;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private final AtomicLong rejectedBusy = new AtomicLong();
  private static final int MAX_CACHED_REWRITERS = 8192;
  private static final int CLIENT_THREADS = 4;

  private final Map<Attributes, OtlpResourceRewriter> rewriters = new ConcurrentHashMap<>();
  private final Set<CompletableResultCode> pending = ConcurrentHashMap.newKeySet();

  OtlpHttpSink(OtlpHttpSinkBuilder config) {
    this.config = config;
    for (Signal signal : Signal.values()) {
      uris.put(signal, URI.create(config.url(signal)));
    }
    this.base = config.baseUrl();
    // Blocking sends on threads of our own: on JDK 25 the future of HttpClient.sendAsync runs its
    // dependent actions only on ForkJoinPool.commonPool(), which anything else may block.
    this.sender = DaemonThreads.boundedPool("otlp-http-sink", config.maxConcurrentRequests());
    this.retries = DaemonThreads.scheduler("otlp-http-sink-retry");
    // The client's own (short, non-blocking) tasks need threads apart from the senders: the client
    // starts every exchange on its executor, so with the senders' pool a full pool of blocked
    // sends would wait forever for a thread to start them (seen with maxConcurrentRequests=1).
    this.clientTasks =
        DaemonThreads.boundedPool(
            "otlp-http-sink-client", Math.min(CLIENT_THREADS, config.maxConcurrentRequests()));
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(config.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(clientTasks)
            .build();
  }

  /**
   * Returns a builder with the defaults: endpoint {@value OtlpHttpSinkBuilder#DEFAULT_ENDPOINT}, 10
   * s timeout, 5 attempts, 64 concurrent requests.
   *
   * @return a new builder
   */
  public static OtlpHttpSinkBuilder builder() {
    return new OtlpHttpSinkBuilder();
  }

  /**
   * Rewrites the identity into the payload and starts the POST. Fails at once if the sink is shut
   * down, all request slots are busy, or the payload is malformed.
   */
  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    return forward(batch);
  }

  /**
   * Rewrites the identity into the payload and starts the POST to {@code <endpoint>/v1/logs}. Fails
   * at once if the sink is shut down, all request slots are busy, or the payload is malformed.
   */
  @Override
  public CompletableResultCode accept(LogBatch batch) {
    return forward(batch);
  }

  /**
   * Rewrites the identity into the payload and starts the POST to {@code <endpoint>/v1/metrics}.
   * Fails at once if the sink is shut down, all request slots are busy, or the payload is
   * malformed.
   */
  @Override
  public CompletableResultCode accept(MetricBatch batch) {
    return forward(batch);
  }

  private CompletableResultCode forward(OtlpBatch batch) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    if (inFlight.incrementAndGet() > config.maxConcurrentRequests()) {
      release();
      long busy = rejectedBusy.incrementAndGet();
      logger.log(
          Level.FINE,
          "all "
              + config.maxConcurrentRequests()
              + " request slots busy, refusing batch "
              + batch.sequence()
              + " from "
              + batch.peer()
              + " (refused so far: "
              + busy
              + ")");
      return CompletableResultCode.ofFailure();
    }
    byte[] body;
    try {
      OtlpResourceRewriter rewriter = rewriterFor(batch.identity());
      Signal signal = batch.signal();
      body =
          new byte
              [rewriter.rewrittenLength(signal, batch.buffer(), batch.offset(), batch.length())];
      rewriter.rewrite(signal, batch.buffer(), batch.offset(), batch.length(), body, 0);
    } catch (MalformedPayloadException | RuntimeException e) {
      release();
      logger.log(
          Level.WARNING,
          "cannot rewrite batch " + batch.sequence() + " from " + batch.peer() + ": " + e,
          null);
      return CompletableResultCode.ofExceptionalFailure(
          new BatchRejectedException("cannot rewrite the OTLP payload: " + e.getMessage(), e));
    }
    CompletableResultCode result = new CompletableResultCode();
    pending.add(result);
    long deadline = System.nanoTime() + config.maxRetryDuration().toNanos();
    send(uris.get(batch.signal()), body, 1, deadline, result);
    return result;
  }

  private OtlpResourceRewriter rewriterFor(Attributes identity) {
    // One rewriter per guest identity: it encodes the identity attributes once.
    OtlpResourceRewriter rewriter = rewriters.get(identity);
    if (rewriter == null) {
      if (rewriters.size() >= MAX_CACHED_REWRITERS) {
        rewriters.clear();
      }
      rewriter = new OtlpResourceRewriter(identity, GuestResources::isReservedKey);
      rewriters.put(identity, rewriter);
    }
    return rewriter;
  }

  /** Hands one attempt to a sender thread; fails the batch if the sink has shut down. */
  private void send(
      URI uri, byte[] body, int attempt, long deadlineNanos, CompletableResultCode result) {
    try {
      sender.execute(() -> post(uri, body, attempt, deadlineNanos, result));
    } catch (RejectedExecutionException e) {
      finish(result, false, "sink shut down before attempt " + attempt);
    }
  }

  /** Runs on a sender thread: one blocking POST, then the outcome. */
  private void post(
      URI uri, byte[] body, int attempt, long deadlineNanos, CompletableResultCode result) {
    HttpResponse<byte[]> response;
    try {
      // built inside the try: a throw here must still release the slot and complete the result
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .timeout(config.timeout())
              .header("Content-Type", "application/x-protobuf")
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, String> header : config.headers().entrySet()) {
        request.header(header.getKey(), header.getValue());
      }
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      onResponse(uri, body, attempt, deadlineNanos, result, null, e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finish(result, false, "interrupted during attempt " + attempt);
      return;
    } catch (RuntimeException e) {
      finish(result, false, "cannot send request: " + e);
      return;
    }
    onResponse(uri, body, attempt, deadlineNanos, result, response, null);
  }

  private void onResponse(
      URI uri,
      byte[] body,
      int attempt,
      long deadlineNanos,
      CompletableResultCode result,
      HttpResponse<byte[]> response,
      IOException error) {
    String problem;
    long retryAfterNanos = -1;
    if (error == null) {
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        finish(result, true, null);
        return;
      }
      problem = "HTTP " + status + bodySnippet(response.body());
      if (!isRetryable(status)) {
        finishRejected(result, problem);
        return;
      }
      retryAfterNanos = retryAfterNanos(response);
    } else {
      problem = "request failed: " + error;
    }
    if (attempt >= config.maxAttempts() || shutdown.get()) {
      finish(result, false, problem + " (gave up after " + attempt + " attempts)");
      return;
    }
    long delayNanos = Math.max(backoffNanos(attempt), retryAfterNanos);
    if (System.nanoTime() + delayNanos > deadlineNanos) {
      finish(result, false, problem + " (retry deadline reached after " + attempt + " attempts)");
      return;
    }
    try {
      retries.schedule(
          () -> send(uri, body, attempt + 1, deadlineNanos, result),
          delayNanos,
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      finish(result, false, problem + " (sink shut down after " + attempt + " attempts)");
    }
  }

  private long backoffNanos(int attempt) {
    double cap =
        Math.min(
            config.maxBackoff().toNanos(),
            config.initialBackoff().toNanos() * Math.pow(config.backoffMultiplier(), attempt - 1));
    // Full jitter: uniformly between 0 and the capped exponential value.
    return (long) (ThreadLocalRandom.current().nextDouble() * cap);
  }

  private long retryAfterNanos(HttpResponse<byte[]> response) {
    Optional<String> value = response.headers().firstValue("Retry-After");
    if (value.isEmpty()) {
      return -1;
    }
    try {
      long seconds = Long.parseLong(value.get().trim());
      return Math.min(TimeUnit.SECONDS.toNanos(seconds), config.maxBackoff().toNanos());
    } catch (NumberFormatException e) {
      return -1; // an HTTP date; fall back to our own backoff
    }
  }

  static boolean isRetryable(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
  }

  private static String bodySnippet(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    int n = Math.min(body.length, 200);
    return ": " + new String(body, 0, n, java.nio.charset.StandardCharsets.UTF_8);
  }

  private void finish(CompletableResultCode result, boolean success, String problem) {
    release();
    pending.remove(result);
    if (success) {
      result.succeed();
    } else {
      logger.log(Level.WARNING, "OTLP/HTTP export to " + base + " failed: " + problem);
      result.fail();
    }
  }

  /** Fails the batch for good: the collector answered with a status that must not be retried. */
  private void finishRejected(CompletableResultCode result, String problem) {
    release();
    pending.remove(result);
    logger.log(
        Level.WARNING,
        "OTLP/HTTP export to " + base + " refused: " + problem + " (not retryable; batch dropped)");
    result.failExceptionally(new BatchRejectedException("collector refused the batch: " + problem));
  }

  private void release() {
    inFlight.decrementAndGet();
  }

  /** Returns the number of requests currently in flight, retries included. */
  public int inFlightRequests() {
    return Math.max(0, inFlight.get());
  }

  /**
   * Refuses new batches and completes when the requests in flight now have finished (their retries
   * stop at the next failure); then ends the sink's sender and retry threads. A second call
   * succeeds at once.
   */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      baseLogger.log(Level.INFO, "shutdown called twice; ignoring");
      return CompletableResultCode.ofSuccess();
    }
    CompletableResultCode drained = flush();
    drained.whenComplete(
        () -> {
          retries.shutdown();
          sender.shutdown();
          clientTasks.shutdown();
        });
    return drained;
  }

  /** Completes when every request in flight now has finished, successfully or not. */
  @Override
  public CompletableResultCode flush() {
    CompletableResultCode all = CompletableResultCode.ofAll(new ArrayList<>(pending));
    CompletableResultCode result = new CompletableResultCode();
    all.whenComplete(result::succeed);
    return result;
  }

  @Override
  public String toString() {
    return "OtlpHttpSink" + config.describe();
  }
}
