package dev.spantransport.codec.internal;

import io.opentelemetry.sdk.trace.SpanLimits;

/**
 * The per-span limits a host applies to guest payloads before anything is decoded, as plain ints
 * for the codec's walkers: attributes per span (also per resource and per scope), events and links
 * per span, attributes per event and per link, and the length of a string attribute value in UTF-16
 * code units (as {@link SpanLimits} measures it).
 *
 * <p>This class is internal and may change at any time.
 */
public final class PayloadLimits {

  /** No limits: every count and length is accepted. */
  public static final PayloadLimits NONE =
      new PayloadLimits(
          Integer.MAX_VALUE,
          Integer.MAX_VALUE,
          Integer.MAX_VALUE,
          Integer.MAX_VALUE,
          Integer.MAX_VALUE,
          Integer.MAX_VALUE);

  final int maxAttributes;
  final int maxEvents;
  final int maxLinks;
  final int maxAttributesPerEvent;
  final int maxAttributesPerLink;
  final int maxValueLength;

  private PayloadLimits(
      int maxAttributes,
      int maxEvents,
      int maxLinks,
      int maxAttributesPerEvent,
      int maxAttributesPerLink,
      int maxValueLength) {
    this.maxAttributes = maxAttributes;
    this.maxEvents = maxEvents;
    this.maxLinks = maxLinks;
    this.maxAttributesPerEvent = maxAttributesPerEvent;
    this.maxAttributesPerLink = maxAttributesPerLink;
    this.maxValueLength = maxValueLength;
  }

  /** Returns the limits of {@code limits}. */
  public static PayloadLimits of(SpanLimits limits) {
    return new PayloadLimits(
        limits.getMaxNumberOfAttributes(),
        limits.getMaxNumberOfEvents(),
        limits.getMaxNumberOfLinks(),
        limits.getMaxNumberOfAttributesPerEvent(),
        limits.getMaxNumberOfAttributesPerLink(),
        limits.getMaxAttributeValueLength());
  }

  @Override
  public String toString() {
    return "PayloadLimits{maxAttributes="
        + maxAttributes
        + ", maxEvents="
        + maxEvents
        + ", maxLinks="
        + maxLinks
        + ", maxAttributesPerEvent="
        + maxAttributesPerEvent
        + ", maxAttributesPerLink="
        + maxAttributesPerLink
        + ", maxValueLength="
        + maxValueLength
        + "}";
  }
}
