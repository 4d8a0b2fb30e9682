package dev.spantransport.vsock.host.internal;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.internal.OtlpSanitizer;
import dev.spantransport.codec.internal.OtlpSpanCounter;
import io.opentelemetry.api.common.Attributes;
import java.util.logging.Level;

/**
 * One connection's check of its guest's OTLP payloads before any sink sees them: validates and
 * counts spans in one pass and, only for the rare payload that needs it, rewrites it without the
 * attributes under {@code spantransport.peer.} (identity comes from the socket) and within the
 * receiver's span limits. What it removed is counted in the receiver metrics and logged, rate
 * limited.
 *
 * <p>This class is internal and may change without notice.
 */
final class PayloadCheck {

  private final ReceiverContext context;
  private final Attributes guest;
  private final String label;
  private final OtlpSanitizer sanitizer;

  PayloadCheck(ReceiverContext context, Attributes guest, String label) {
    this.context = context;
    this.guest = guest;
    this.label = label;
    this.sanitizer = new OtlpSanitizer(context.payloadLimits);
  }

  /** Validates the payload and returns its span count. */
  int countSpans(byte[] buffer, int offset, int length) throws MalformedPayloadException {
    return sanitizer.countSpans(buffer, offset, length);
  }

  /**
   * Returns the payload last counted, rewritten as the sinks must see it, or null when the guest's
   * bytes can go as they are (the common case, decided by the counting pass).
   */
  byte[] sanitize(byte[] buffer, int offset, int length, long sequence) {
    if (!sanitizer.needsRewrite()) {
      return null;
    }
    byte[] out = sanitizer.sanitize(buffer, offset, length);
    if (out == null) {
      return null;
    }
    long stripped = sanitizer.stripped();
    ReceiverMetrics m = context.metrics;
    m.stripped(guest, stripped);
    m.limited(guest, ReceiverMetrics.LIMITED_ATTRIBUTES, sanitizer.droppedAttributes());
    m.limited(guest, ReceiverMetrics.LIMITED_EVENTS, sanitizer.droppedEvents());
    m.limited(guest, ReceiverMetrics.LIMITED_LINKS, sanitizer.droppedLinks());
    m.limited(guest, ReceiverMetrics.LIMITED_VALUES, sanitizer.truncatedValues());
    context.payloadLog.log(
        Level.WARNING,
        "batch "
            + sequence
            + " from "
            + label
            + ": removed "
            + stripped
            + " attributes under the reserved prefix "
            + OtlpSpanCounter.RESERVED_PREFIX
            + "; over the span limits dropped "
            + sanitizer.droppedAttributes()
            + " attributes, "
            + sanitizer.droppedEvents()
            + " events, "
            + sanitizer.droppedLinks()
            + " links and cut "
            + sanitizer.truncatedValues()
            + " values");
    return out;
  }

  @Override
  public String toString() {
    return "PayloadCheck{" + sanitizer + "}";
  }
}
