package dev.spantransport.forwarder.zipkin.internal;

import dev.spantransport.sink.SpanBatch;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import zipkin2.Endpoint;
import zipkin2.Span;

/**
 * Maps OpenTelemetry {@link SpanData} to Zipkin's {@link Span} model.
 *
 * <p>Trace id, span id, parent id (when the parent is valid), name, kind (CLIENT, SERVER, PRODUCER,
 * CONSUMER; INTERNAL has none), timestamp and duration in microseconds (duration at least 1),
 * {@code localEndpoint.serviceName} from the resource's {@code service.name}; tags are the resource
 * attributes then the span attributes (a span attribute wins on the same key), {@code
 * otel.scope.name}/{@code otel.scope.version}, {@code otel.status_code} for OK and ERROR and an
 * {@code error} tag (the description, or {@code true}) for ERROR; one annotation per event, its
 * name followed by its attributes as sorted {@code key=value} pairs. Zipkin's model lowercases span
 * and service names, as the Zipkin server does with everything it receives.
 *
 * <p>The guest identity is written last: the resource's {@code spantransport.peer.*} attributes
 * (put there by the receiver) overwrite any tag of the same key, and span attributes under that
 * prefix are left out, so nothing a guest sets can pass for its identity.
 *
 * <p>This class is internal and may change without notice.
 */
public final class ZipkinSpans {

  private static final String SERVICE_NAME = "service.name";

  private ZipkinSpans() {}

  /**
   * Returns {@code span} in Zipkin's model.
   *
   * @param span the span
   * @return the Zipkin span
   * @throws IllegalArgumentException if Zipkin cannot represent it (an invalid or all-zero id)
   */
  public static Span toZipkin(SpanData span) {
    long start = micros(span.getStartEpochNanos());
    Span.Builder b =
        Span.newBuilder()
            .traceId(span.getTraceId())
            .id(span.getSpanId())
            .name(span.getName())
            .timestamp(start)
            .duration(Math.max(1, micros(span.getEndEpochNanos()) - start));
    if (span.getParentSpanContext().isValid()) {
      b.parentId(span.getParentSpanId());
    }
    b.kind(kind(span));
    Attributes resource = span.getResource().getAttributes();
    Object service = resource.get(AttributeKey.stringKey(SERVICE_NAME));
    if (service != null) {
      b.localEndpoint(Endpoint.newBuilder().serviceName(service.toString()).build());
    }
    for (EventData event : span.getEvents()) {
      b.addAnnotation(micros(event.getEpochNanos()), annotation(event));
    }
    resource.forEach(
        (k, v) -> {
          if (!k.getKey().equals(SERVICE_NAME)
              && !k.getKey().startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX)) {
            b.putTag(k.getKey(), value(v));
          }
        });
    span.getAttributes()
        .forEach(
            (k, v) -> {
              if (!k.getKey().startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX)) {
                b.putTag(k.getKey(), value(v));
              }
            });
    InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
    if (!scope.getName().isEmpty()) {
      b.putTag("otel.scope.name", scope.getName());
    }
    if (scope.getVersion() != null) {
      b.putTag("otel.scope.version", scope.getVersion());
    }
    StatusData status = span.getStatus();
    if (status.getStatusCode() == StatusCode.ERROR) {
      b.putTag("otel.status_code", "ERROR");
      String description = status.getDescription();
      b.putTag("error", description == null || description.isEmpty() ? "true" : description);
    } else if (status.getStatusCode() == StatusCode.OK) {
      b.putTag("otel.status_code", "OK");
    }
    // Identity last: only the receiver puts these on the resource, and nothing overwrites them.
    resource.forEach(
        (k, v) -> {
          if (k.getKey().startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX)) {
            b.putTag(k.getKey(), value(v));
          }
        });
    return b.build();
  }

  private static Span.Kind kind(SpanData span) {
    switch (span.getKind()) {
      case CLIENT:
        return Span.Kind.CLIENT;
      case SERVER:
        return Span.Kind.SERVER;
      case PRODUCER:
        return Span.Kind.PRODUCER;
      case CONSUMER:
        return Span.Kind.CONSUMER;
      default:
        return null;
    }
  }

  /** The event name, then its attributes as sorted {@code key=value} pairs. */
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
