package dev.spantransport.forwarder.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.internal.DaemonThreads;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * A {@link SpanExporter} that POSTs spans as Zipkin JSON v2 ({@code /api/v2/spans}) with the JDK
 * {@link HttpClient}. It replaces OpenTelemetry's {@code ZipkinSpanExporter}, whose newest release
 * (1.59) fails at construction against the 1.68 SDK, and differs from it on purpose: resource
 * attributes other than {@code service.name} become tags, so the guest identity ({@code
 * spantransport.peer.*}) the receiver puts on the resource reaches Zipkin.
 *
 * <p>Mapping: trace id, span id, parent id (when the parent is valid), name, kind (CLIENT, SERVER,
 * PRODUCER, CONSUMER; INTERNAL has none), timestamp and duration in microseconds (duration at least
 * 1), {@code localEndpoint.serviceName} from the resource's {@code service.name}, tags = resource
 * attributes then span attributes (a span attribute wins on the same key) plus {@code
 * otel.scope.name}/{@code otel.scope.version}, {@code otel.status_code} for OK and ERROR and an
 * {@code error} tag (the status description, or {@code true}) for ERROR, one annotation per event.
 * The guest identity is written last: the resource's {@code spantransport.peer.*} attributes win
 * over any tag of the same key, and span attributes under that prefix are left out.
 *
 * <p>{@link #export} returns at once; each POST is sent, blocking, on one of the exporter's own
 * daemon threads ({@code zipkin-exporter-N}, at most {@value #MAX_CONCURRENT_REQUESTS}; more wait
 * in order), never on {@code ForkJoinPool.commonPool()}: on JDK 25 the future of {@code
 * HttpClient.sendAsync} runs its dependent actions only there, and anything else may block it.
 *
 * <p>This class is internal and may change without notice.
 */
public final class ZipkinJsonExporter implements SpanExporter {

  private static final Logger logger = Logger.getLogger(ZipkinJsonExporter.class.getName());
  private static final JsonFactory JSON = new JsonFactory();
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  /** The most POSTs sent at once. */
  static final int MAX_CONCURRENT_REQUESTS = 4;

  private static final int CLIENT_THREADS = 2;

  private final URI endpoint;
  private final Duration timeout;
  private final HttpClient client;
  private final ExecutorService sender;
  private final ExecutorService clientTasks;
  private final Set<CompletableResultCode> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean shutdown = new AtomicBoolean();

  private ZipkinJsonExporter(URI endpoint, Duration timeout) {
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.sender = DaemonThreads.boundedPool("zipkin-exporter", MAX_CONCURRENT_REQUESTS);
    // The client's own short tasks get threads apart from the blocked senders, which would
    // otherwise wait forever for the client to start their exchanges.
    this.clientTasks = DaemonThreads.boundedPool("zipkin-exporter-client", CLIENT_THREADS);
    // HTTP/1.1: every Zipkin server speaks it, and it spares each new connection the client's
    // h2c upgrade attempt.
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .executor(clientTasks)
            .build();
  }

  /**
   * Creates an exporter.
   *
   * @param endpoint the Zipkin v2 spans URL, e.g. {@code http://localhost:9411/api/v2/spans}
   * @param timeout how long one POST may take, connect included; positive
   * @return the exporter
   */
  public static ZipkinJsonExporter create(String endpoint, Duration timeout) {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(timeout, "timeout");
    URI uri = URI.create(endpoint);
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException("endpoint must be an http or https URL: " + endpoint);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new ZipkinJsonExporter(uri, timeout);
  }

  /**
   * Encodes the spans and POSTs them in one request; completes when the collector answered 2xx,
   * fails on any other answer, a timeout or after {@link #shutdown()}.
   */
  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    if (spans.isEmpty()) {
      return CompletableResultCode.ofSuccess();
    }
    byte[] body;
    try {
      body = encode(spans);
    } catch (IOException | RuntimeException e) {
      logger.log(Level.WARNING, "cannot encode " + spans.size() + " spans as Zipkin JSON", e);
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    CompletableResultCode result = new CompletableResultCode();
    inFlight.add(result);
    result.whenComplete(() -> inFlight.remove(result));
    try {
      sender.execute(() -> post(request, spans.size(), result));
    } catch (RejectedExecutionException e) {
      logger.log(Level.WARNING, "exporter shut down; dropping " + spans.size() + " spans");
      result.failExceptionally(e);
    }
    return result;
  }

  /** Runs on a sender thread: one blocking POST, then completes {@code result}. */
  private void post(HttpRequest request, int spans, CompletableResultCode result) {
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      logger.log(Level.WARNING, "cannot send " + spans + " spans to " + endpoint + ": " + e);
      result.failExceptionally(e);
      return;
    }
    if (response.statusCode() / 100 != 2) {
      logger.log(
          Level.WARNING,
          "zipkin at "
              + endpoint
              + " refused "
              + spans
              + " spans: HTTP "
              + response.statusCode()
              + " "
              + response.body());
      result.fail();
    } else {
      result.succeed();
    }
  }

  /** Completes when every POST started so far has been answered. */
  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofAll(List.copyOf(inFlight));
  }

  /**
   * Refuses further exports and completes when the POSTs in flight have been answered; then ends
   * the exporter's threads.
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
          sender.shutdown();
          clientTasks.shutdown();
        });
    return drained;
  }

  @Override
  public String toString() {
    return "ZipkinJsonExporter{endpoint=" + endpoint + ", timeout=" + timeout + "}";
  }

  /** Returns the spans as one Zipkin JSON v2 array. */
  static byte[] encode(Collection<SpanData> spans) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 * spans.size());
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartArray();
      for (SpanData span : spans) {
        writeSpan(g, span);
      }
      g.writeEndArray();
    }
    return out.toByteArray();
  }

  private static void writeSpan(JsonGenerator g, SpanData span) throws IOException {
    g.writeStartObject();
    g.writeStringField("traceId", span.getTraceId());
    g.writeStringField("id", span.getSpanId());
    if (span.getParentSpanContext().isValid()) {
      g.writeStringField("parentId", span.getParentSpanId());
    }
    String kind = kind(span);
    if (kind != null) {
      g.writeStringField("kind", kind);
    }
    g.writeStringField("name", span.getName());
    long start = micros(span.getStartEpochNanos());
    g.writeNumberField("timestamp", start);
    g.writeNumberField("duration", Math.max(1, micros(span.getEndEpochNanos()) - start));
    String service = span.getResource().getAttributes().get(SERVICE_NAME);
    if (service != null) {
      g.writeObjectFieldStart("localEndpoint");
      g.writeStringField("serviceName", service);
      g.writeEndObject();
    }
    if (!span.getEvents().isEmpty()) {
      g.writeArrayFieldStart("annotations");
      for (EventData event : span.getEvents()) {
        g.writeStartObject();
        g.writeNumberField("timestamp", micros(event.getEpochNanos()));
        g.writeStringField("value", annotation(event));
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    Map<String, String> tags = tags(span);
    if (!tags.isEmpty()) {
      g.writeObjectFieldStart("tags");
      for (Map.Entry<String, String> tag : tags.entrySet()) {
        g.writeStringField(tag.getKey(), tag.getValue());
      }
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static String kind(SpanData span) {
    switch (span.getKind()) {
      case CLIENT:
        return "CLIENT";
      case SERVER:
        return "SERVER";
      case PRODUCER:
        return "PRODUCER";
      case CONSUMER:
        return "CONSUMER";
      default:
        return null;
    }
  }

  private static Map<String, String> tags(SpanData span) {
    Map<String, String> tags = new TreeMap<>();
    span.getResource()
        .getAttributes()
        .forEach(
            (k, v) -> {
              if (!k.getKey().equals(SERVICE_NAME.getKey())) {
                tags.put(k.getKey(), value(v));
              }
            });
    span.getAttributes()
        .forEach(
            (k, v) -> {
              if (!k.getKey().startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX)) {
                tags.put(k.getKey(), value(v));
              }
            });
    InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
    if (!scope.getName().isEmpty()) {
      tags.put("otel.scope.name", scope.getName());
    }
    if (scope.getVersion() != null) {
      tags.put("otel.scope.version", scope.getVersion());
    }
    StatusData status = span.getStatus();
    if (status.getStatusCode() == StatusCode.ERROR) {
      tags.put("otel.status_code", "ERROR");
      String description = status.getDescription();
      tags.put("error", description == null || description.isEmpty() ? "true" : description);
    } else if (status.getStatusCode() == StatusCode.OK) {
      tags.put("otel.status_code", "OK");
    }
    // Identity last: only the receiver puts these on the resource, and nothing overwrites them.
    span.getResource()
        .getAttributes()
        .forEach(
            (k, v) -> {
              if (k.getKey().startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX)) {
                tags.put(k.getKey(), value(v));
              }
            });
    return tags;
  }

  /** The event name, then its attributes as {@code key=value} pairs. */
  private static String annotation(EventData event) {
    Attributes attributes = event.getAttributes();
    if (attributes.isEmpty()) {
      return event.getName();
    }
    Map<String, String> sorted = new TreeMap<>();
    attributes.forEach((k, v) -> sorted.put(k.getKey(), value(v)));
    StringBuilder b = new StringBuilder(event.getName());
    sorted.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    return b.toString();
  }

  /** Strings as they are, arrays joined with commas, the rest by {@code String.valueOf}. */
  private static String value(Object v) {
    if (v instanceof List<?> list) {
      return list.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
    return String.valueOf(v);
  }

  private static long micros(long epochNanos) {
    return TimeUnit.NANOSECONDS.toMicros(epochNanos);
  }
}
