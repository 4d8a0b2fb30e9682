package dev.spantransport.forwarder.kata.internal;

import dev.spantransport.codec.EndedSpans;
import dev.spantransport.forwarder.kata.KataFrameException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;

/**
 * The rules that turn the fields of a Rust {@code opentelemetry} {@code SpanData} into an
 * OpenTelemetry Java {@link SpanData}, shared by the serde_json and the bincode readers so that
 * both wire forms map the same way. Each rule names the Rust source file (crate {@code
 * opentelemetry} 0.14, as vendored in kata-containers) it comes from.
 *
 * <p>This class is internal and is not intended for public use. Its API may change at any time.
 */
public final class RustSpanMapping {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** SpanKind variants in declaration order, i.e. by serde variant index (src/trace/span.rs). */
  private static final SpanKind[] KINDS = {
    SpanKind.CLIENT, SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL
  };

  /** StatusCode variants in declaration order: Unset, Ok, Error (src/trace/span.rs). */
  private static final StatusCode[] STATUS_CODES = {
    StatusCode.UNSET, StatusCode.OK, StatusCode.ERROR
  };

  private RustSpanMapping() {}

  /**
   * SpanKind by serde variant index; null if out of range. serde numbers variants by position, not
   * by any explicit discriminant.
   */
  public static SpanKind kind(long variantIndex) {
    return variantIndex >= 0 && variantIndex < KINDS.length ? KINDS[(int) variantIndex] : null;
  }

  /**
   * StatusCode by serde variant index; null if out of range. The Rust enum declares {@code Unset =
   * 0, Ok = 1, Error = 2}, so position and discriminant agree.
   */
  public static StatusCode statusCode(long variantIndex) {
    return variantIndex >= 0 && variantIndex < STATUS_CODES.length
        ? STATUS_CODES[(int) variantIndex]
        : null;
  }

  /**
   * SpanContext from its Rust fields (src/trace/span_context.rs): TraceId(u128) split into high and
   * low 64 bits, SpanId(u64), trace_flags u8 (all 8 bits kept), is_remote.
   */
  public static SpanContext spanContext(
      long traceHigh, long traceLow, long spanId, int flags, boolean remote, TraceState state) {
    String traceId = TraceId.fromLongs(traceHigh, traceLow);
    String span = SpanId.fromLong(spanId);
    TraceFlags traceFlags = TraceFlags.fromByte((byte) flags);
    return remote
        ? SpanContext.createFromRemoteParent(traceId, span, traceFlags, state)
        : SpanContext.create(traceId, span, traceFlags, state);
  }

  /**
   * TraceState(Option&lt;VecDeque&lt;(String, String)&gt;&gt;) (src/trace/span_context.rs): entries
   * front first, the order of the W3C header. The OTel Java builder puts each new entry in front,
   * so the back of the deque is added first. Entries the builder rejects as invalid W3C keys or
   * values are dropped by it.
   *
   * @param keysAndValues key, value, key, value, ... front first
   */
  public static TraceState traceState(List<String> keysAndValues) {
    if (keysAndValues.isEmpty()) {
      return TraceState.getDefault();
    }
    TraceStateBuilder builder = TraceState.builder();
    for (int i = keysAndValues.size() - 2; i >= 0; i -= 2) {
      builder.put(keysAndValues.get(i), keysAndValues.get(i + 1));
    }
    return builder.build();
  }

  /**
   * Epoch nanoseconds of a serde SystemTime {secs_since_epoch: u64, nanos_since_epoch: u32}
   * (serde's impl for std::time::SystemTime).
   *
   * @param secs seconds, read as unsigned
   * @param nanos nanoseconds, read as unsigned
   * @throws KataFrameException if nanos is not below 10^9 or the time does not fit a signed long
   */
  public static long epochNanos(String path, long secs, long nanos) throws KataFrameException {
    if (nanos < 0 || nanos >= NANOS_PER_SECOND) {
      throw new KataFrameException(
          path + ".nanos_since_epoch must be below 1000000000: " + Long.toUnsignedString(nanos));
    }
    if (secs < 0 || secs > (Long.MAX_VALUE - nanos) / NANOS_PER_SECOND) {
      throw new KataFrameException(
          path
              + ".secs_since_epoch must fit in 64-bit epoch nanoseconds (before year 2262): "
              + Long.toUnsignedString(secs));
    }
    return secs * NANOS_PER_SECOND + nanos;
  }

  /**
   * Recorded plus dropped, saturated to int: OTel Java's total counts include the recorded ones.
   */
  public static int total(int recorded, long dropped) {
    long total = recorded + dropped;
    return total > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) total;
  }

  /**
   * Whether OTel Java's {@code Resource} accepts an attribute key: ASCII, 1 to 255 characters. A
   * Rust resource (src/sdk/resource.rs, a BTreeMap&lt;Key, Value&gt;) may hold any key; others are
   * dropped, not the span.
   */
  public static boolean isResourceKey(String key) {
    if (key.isEmpty() || key.length() > 255) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      if (key.charAt(i) > 0x7F) {
        return false;
      }
    }
    return true;
  }

  /**
   * The span's resource: {@code resource: Option<Arc<Resource>>} in 0.14
   * (src/sdk/export/trace/mod.rs); None gets a resource holding only the default service name, and
   * a resource without {@code service.name} gets it added (kata-trace-forwarder's --trace-name).
   *
   * @param attributes the resource attributes, or null for None
   * @param schemaUrl the schema URL, or null
   */
  public static Resource resource(
      Attributes attributes, String schemaUrl, String defaultServiceName) {
    if (attributes == null) {
      return Resource.create(Attributes.of(SERVICE_NAME, defaultServiceName));
    }
    if (attributes.get(SERVICE_NAME) != null) {
      return Resource.create(attributes, schemaUrl);
    }
    return Resource.create(
        attributes.toBuilder().put(SERVICE_NAME, defaultServiceName).build(), schemaUrl);
  }

  /**
   * Checks the span's own ids before they reach OTel Java, which would silently turn a zero id into
   * the invalid context: a span's trace id and span id must be non-zero (SpanContext::is_valid,
   * src/trace/span_context.rs).
   */
  public static void checkSpanIds(long traceHigh, long traceLow, long spanId)
      throws KataFrameException {
    if (traceHigh == 0 && traceLow == 0) {
      throw new KataFrameException("span_context.trace_id must not be 0: 0");
    }
    if (spanId == 0) {
      throw new KataFrameException("span_context.span_id must not be 0: 0");
    }
  }

  /**
   * Builds the span; its context must have passed {@link #checkSpanIds}.
   *
   * <ul>
   *   <li>parent_span_id 0 is SpanId::invalid(): a root span. Otherwise the parent shares the
   *       span's trace id and flags; Rust's SpanData carries neither the parent's trace state nor
   *       whether it was remote (src/sdk/export/trace/mod.rs).
   *   <li>The status message is kept only for Error: the API ignores it for Ok and Unset
   *       (Span::set_status, src/trace/span.rs).
   * </ul>
   */
  public static SpanData span(
      SpanContext context,
      long parentSpanId,
      SpanKind kind,
      String name,
      long startEpochNanos,
      long endEpochNanos,
      Attributes attributes,
      long droppedAttributes,
      List<EventData> events,
      long droppedEvents,
      List<LinkData> links,
      long droppedLinks,
      StatusCode statusCode,
      String statusMessage,
      InstrumentationScopeInfo scope,
      Resource resource)
      throws KataFrameException {
    SpanContext parent =
        parentSpanId == 0
            ? SpanContext.getInvalid()
            : SpanContext.create(
                context.getTraceId(),
                SpanId.fromLong(parentSpanId),
                context.getTraceFlags(),
                TraceState.getDefault());
    StatusData status =
        statusCode == StatusCode.ERROR
            ? StatusData.create(StatusCode.ERROR, statusMessage)
            : StatusData.create(statusCode, "");
    return EndedSpans.create(
        resource,
        scope,
        name,
        kind,
        context,
        parent,
        status,
        startEpochNanos,
        endEpochNanos,
        attributes,
        total(attributes.size(), droppedAttributes),
        events,
        total(events.size(), droppedEvents),
        links,
        total(links.size(), droppedLinks));
  }
}
