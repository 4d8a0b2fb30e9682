package dev.spantransport.codec;

import dev.spantransport.codec.internal.OtlpSanitizer;
import dev.spantransport.codec.internal.OtlpSignalCounter;
import dev.spantransport.codec.internal.PayloadLimits;
import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.spi.Signal;
import io.opentelemetry.sdk.trace.SpanLimits;
import java.util.Objects;

/**
 * A host's check of an OTLP export request from a peer it does not trust, before any sink sees the
 * bytes: the request is validated and its items counted in one pass that allocates nothing, and the
 * rare request that carries what only the host may decide is then rewritten.
 *
 * <ul>
 *   <li>{@link #countSpans} validates an {@code ExportTraceServiceRequest} and notes whether it
 *       holds attributes under {@link AttributePolicy#RESERVED_PREFIX} (the peer's identity comes
 *       from its socket, never from its payload) or more than the {@link SpanLimits} allow; {@link
 *       #rewriteSpans} then returns the request without them (first attributes, events and links
 *       kept, as the SDK keeps them; long string values cut; the message's {@code dropped_*_count}
 *       raised).
 *   <li>{@link #countItems} validates an {@code ExportLogsServiceRequest} or {@code
 *       ExportMetricsServiceRequest}, counting log records or metric data points and refusing a
 *       request with more than {@code maxItems}; {@link #needsRewrite} then says whether it carries
 *       reserved attribute keys.
 * </ul>
 *
 * <p>The receiver of this library runs one per connection. An instance holds the state of the last
 * request it counted, is reused for the next, and is not thread-safe.
 */
public final class OtlpPayloadCheck {

  private final SpanLimits spanLimits;
  private final int maxItems;
  private final OtlpSanitizer spans;
  private OtlpSignalCounter signals; // created on the first logs or metrics request
  private boolean needsRewrite;

  private OtlpPayloadCheck(SpanLimits spanLimits, int maxItems) {
    this.spanLimits = spanLimits;
    this.maxItems = maxItems;
    this.spans = new OtlpSanitizer(PayloadLimits.of(spanLimits));
  }

  /**
   * Returns a check applying {@code spanLimits} to spans and refusing logs or metrics requests with
   * more than {@code maxItems} log records or data points.
   *
   * @throws IllegalArgumentException if {@code maxItems} is less than 1
   */
  public static OtlpPayloadCheck create(SpanLimits spanLimits, int maxItems) {
    Objects.requireNonNull(spanLimits, "spanLimits");
    if (maxItems < 1) {
      throw new IllegalArgumentException("maxItems must be at least 1: " + maxItems);
    }
    return new OtlpPayloadCheck(spanLimits, maxItems);
  }

  /**
   * Validates the {@code ExportTraceServiceRequest} in {@code buffer[offset, offset + length)} and
   * returns how many spans it holds (all of them: a caller with a span limit per request compares).
   *
   * @throws MalformedPayloadException naming the first fault, if it is not a valid request
   */
  public int countSpans(byte[] buffer, int offset, int length) throws MalformedPayloadException {
    int count = spans.countSpans(buffer, offset, length);
    needsRewrite = spans.needsRewrite();
    return count;
  }

  /**
   * Validates the request of {@code signal} ({@link Signal#LOGS} or {@link Signal#METRICS}) in
   * {@code buffer[offset, offset + length)} and returns how many log records or data points it
   * holds.
   *
   * @throws MalformedPayloadException naming the first fault, or the limit when the request holds
   *     more than {@code maxItems} items ({@link #overLimit()} then says so)
   * @throws IllegalArgumentException for {@link Signal#TRACES}, which {@link #countSpans} counts
   */
  public int countItems(Signal signal, byte[] buffer, int offset, int length)
      throws MalformedPayloadException {
    if (signals == null) {
      signals = new OtlpSignalCounter(maxItems);
    }
    needsRewrite = false;
    int count = signals.count(signal, buffer, offset, length);
    needsRewrite = signals.hasReservedKeys();
    return count;
  }

  /** Whether the last {@link #countItems} failed only because the request held too many items. */
  public boolean overLimit() {
    return signals != null && signals.overLimit();
  }

  /**
   * Whether the request last counted may carry something the host must remove: for spans, call
   * {@link #rewriteSpans}; for logs and metrics, attribute keys under {@link
   * AttributePolicy#RESERVED_PREFIX}. False for nearly every request an honest SDK sends.
   */
  public boolean needsRewrite() {
    return needsRewrite;
  }

  /**
   * Returns the request in {@code buffer[offset, offset + length)}, which {@link #countSpans} just
   * accepted, without reserved attributes and within the span limits; null when nothing changes.
   * What was removed is then available from {@link #stripped()} and the other counts until the next
   * call. Every other byte is copied unchanged.
   */
  public byte[] rewriteSpans(byte[] buffer, int offset, int length) {
    return spans.sanitize(buffer, offset, length);
  }

  /** Attributes under the reserved prefix removed by the last {@link #rewriteSpans}. */
  public long stripped() {
    return spans.stripped();
  }

  /** Attributes over a count limit removed by the last {@link #rewriteSpans}. */
  public long droppedAttributes() {
    return spans.droppedAttributes();
  }

  /** Events over the limit removed by the last {@link #rewriteSpans}. */
  public long droppedEvents() {
    return spans.droppedEvents();
  }

  /** Links over the limit removed by the last {@link #rewriteSpans}. */
  public long droppedLinks() {
    return spans.droppedLinks();
  }

  /** String values cut to the length limit by the last {@link #rewriteSpans}. */
  public long truncatedValues() {
    return spans.truncatedValues();
  }

  @Override
  public String toString() {
    return "OtlpPayloadCheck{spanLimits=" + spanLimits + ", maxItems=" + maxItems + "}";
  }
}
