package dev.spantransport.codec;

import dev.spantransport.codec.internal.ImmutableSpanData;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;

/**
 * Creates ended, immutable {@link SpanData} with value equality — the spans {@link OtlpSpanDecoder}
 * returns — for decoders of other span formats (the forwarder's Kata decoder is one), so they need
 * no span class of their own and their spans compare equal to decoded ones.
 *
 * @since 0.1.0
 */
public final class EndedSpans {

  private EndedSpans() {}

  /**
   * Returns an ended span. The lists are copied; a total below its recorded count is raised to it.
   *
   * @param resource the resource
   * @param scope the instrumentation scope
   * @param name the span name
   * @param kind the span kind
   * @param spanContext the span's context
   * @param parentSpanContext the parent's context, or {@link SpanContext#getInvalid()} for a root
   * @param status the status
   * @param startEpochNanos start time
   * @param endEpochNanos end time
   * @param attributes recorded attributes
   * @param totalAttributeCount recorded plus dropped attributes
   * @param events recorded events
   * @param totalRecordedEvents recorded plus dropped events
   * @param links recorded links
   * @param totalRecordedLinks recorded plus dropped links
   * @return the span
   * @throws NullPointerException if any object argument is null
   */
  public static SpanData create(
      Resource resource,
      InstrumentationScopeInfo scope,
      String name,
      SpanKind kind,
      SpanContext spanContext,
      SpanContext parentSpanContext,
      StatusData status,
      long startEpochNanos,
      long endEpochNanos,
      Attributes attributes,
      int totalAttributeCount,
      List<EventData> events,
      int totalRecordedEvents,
      List<LinkData> links,
      int totalRecordedLinks) {
    return ImmutableSpanData.create(
        resource,
        scope,
        name,
        kind,
        spanContext,
        parentSpanContext,
        status,
        startEpochNanos,
        endEpochNanos,
        attributes,
        totalAttributeCount,
        events,
        totalRecordedEvents,
        links,
        totalRecordedLinks);
  }
}
