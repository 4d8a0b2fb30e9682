package dev.spantransport.vsock.host.internal;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpPayloadCheck;
import dev.spantransport.policy.AttributePolicy;
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
  private final OtlpPayloadCheck check;

  PayloadCheck(ReceiverContext context, Attributes guest, String label) {
    this.context = context;
    this.guest = guest;
    this.label = label;
    this.check =
        OtlpPayloadCheck.create(context.config.spanLimits(), context.config.maxSpansPerFrame());
  }

  /** Validates the payload and returns its span count. */
  int countSpans(byte[] buffer, int offset, int length) throws MalformedPayloadException {
    return check.countSpans(buffer, offset, length);
  }

  /**
   * Returns the payload last counted, rewritten as the sinks must see it, or null when the guest's
   * bytes can go as they are (the common case, decided by the counting pass).
   */
  byte[] sanitize(byte[] buffer, int offset, int length, long sequence) {
    if (!check.needsRewrite()) {
      return null;
    }
    byte[] out = check.rewriteSpans(buffer, offset, length);
    if (out == null) {
      return null;
    }
    long stripped = check.stripped();
    ReceiverMetrics m = context.metrics;
    m.stripped(guest, stripped);
    m.limited(guest, ReceiverMetrics.LIMITED_ATTRIBUTES, check.droppedAttributes());
    m.limited(guest, ReceiverMetrics.LIMITED_EVENTS, check.droppedEvents());
    m.limited(guest, ReceiverMetrics.LIMITED_LINKS, check.droppedLinks());
    m.limited(guest, ReceiverMetrics.LIMITED_VALUES, check.truncatedValues());
    context.payloadLog.log(
        Level.WARNING,
        "batch "
            + sequence
            + " from "
            + label
            + ": removed "
            + stripped
            + " attributes under the reserved prefix "
            + AttributePolicy.RESERVED_PREFIX
            + "; over the span limits dropped "
            + check.droppedAttributes()
            + " attributes, "
            + check.droppedEvents()
            + " events, "
            + check.droppedLinks()
            + " links and cut "
            + check.truncatedValues()
            + " values");
    return out;
  }

  /** The check itself, which this connection's logs and metrics share. */
  OtlpPayloadCheck otlp() {
    return check;
  }

  @Override
  public String toString() {
    return "PayloadCheck{" + check + "}";
  }
}
