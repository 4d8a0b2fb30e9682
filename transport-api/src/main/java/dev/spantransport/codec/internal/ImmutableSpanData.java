package dev.spantransport.codec.internal;

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
import java.util.Objects;

/**
 * An immutable, ended {@link SpanData} with value equality: what the OTLP decoder, the Kata
 * forwarder and the benchmark fixtures build. Spans the OTLP decoder rebuilds from one
 * ResourceSpans share one {@link Resource}; spans of one ScopeSpans share one {@link
 * InstrumentationScopeInfo}.
 *
 * <p>This class is internal and may change at any time.
 */
public final class ImmutableSpanData implements SpanData {
  private final Resource resource;
  private final InstrumentationScopeInfo scope;
  private final String name;
  private final SpanKind kind;
  private final SpanContext spanContext;
  private final SpanContext parentSpanContext;
  private final StatusData status;
  private final long startEpochNanos;
  private final long endEpochNanos;
  private final Attributes attributes;
  private final int totalAttributeCount;
  private final List<EventData> events;
  private final int totalRecordedEvents;
  private final List<LinkData> links;
  private final int totalRecordedLinks;

  /**
   * Creates a span from values the caller vouches for: nothing is null, the lists are already
   * immutable and every total is at least its recorded size. Nothing is checked or copied; {@link
   * #create} is the checking form.
   */
  public ImmutableSpanData(
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
    this.resource = resource;
    this.scope = scope;
    this.name = name;
    this.kind = kind;
    this.spanContext = spanContext;
    this.parentSpanContext = parentSpanContext;
    this.status = status;
    this.startEpochNanos = startEpochNanos;
    this.endEpochNanos = endEpochNanos;
    this.attributes = attributes;
    this.totalAttributeCount = totalAttributeCount;
    this.events = events;
    this.totalRecordedEvents = totalRecordedEvents;
    this.links = links;
    this.totalRecordedLinks = totalRecordedLinks;
  }

  /**
   * Creates a span after checking it: no argument may be null, the lists are copied and a total
   * below its recorded size is raised to that size.
   *
   * @param resource resource of the producing entity
   * @param scope instrumentation scope
   * @param name span name
   * @param kind span kind
   * @param spanContext the span's own context
   * @param parentSpanContext the parent's context, or {@link SpanContext#getInvalid()} for a root
   * @param status status code and description
   * @param startEpochNanos start time, nanoseconds since the epoch
   * @param endEpochNanos end time, nanoseconds since the epoch
   * @param attributes recorded attributes
   * @param totalAttributeCount recorded plus dropped attributes
   * @param events recorded events
   * @param totalRecordedEvents recorded plus dropped events
   * @param links recorded links
   * @param totalRecordedLinks recorded plus dropped links
   * @return the span
   */
  public static ImmutableSpanData create(
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
    Objects.requireNonNull(attributes, "attributes");
    List<EventData> eventList = List.copyOf(events);
    List<LinkData> linkList = List.copyOf(links);
    return new ImmutableSpanData(
        Objects.requireNonNull(resource, "resource"),
        Objects.requireNonNull(scope, "scope"),
        Objects.requireNonNull(name, "name"),
        Objects.requireNonNull(kind, "kind"),
        Objects.requireNonNull(spanContext, "spanContext"),
        Objects.requireNonNull(parentSpanContext, "parentSpanContext"),
        Objects.requireNonNull(status, "status"),
        startEpochNanos,
        endEpochNanos,
        attributes,
        Math.max(totalAttributeCount, attributes.size()),
        eventList,
        Math.max(totalRecordedEvents, eventList.size()),
        linkList,
        Math.max(totalRecordedLinks, linkList.size()));
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public SpanKind getKind() {
    return kind;
  }

  @Override
  public SpanContext getSpanContext() {
    return spanContext;
  }

  @Override
  public SpanContext getParentSpanContext() {
    return parentSpanContext;
  }

  @Override
  public StatusData getStatus() {
    return status;
  }

  @Override
  public long getStartEpochNanos() {
    return startEpochNanos;
  }

  @Override
  public Attributes getAttributes() {
    return attributes;
  }

  @Override
  public List<EventData> getEvents() {
    return events;
  }

  @Override
  public List<LinkData> getLinks() {
    return links;
  }

  @Override
  public long getEndEpochNanos() {
    return endEpochNanos;
  }

  @Override
  public boolean hasEnded() {
    return true;
  }

  @Override
  public int getTotalRecordedEvents() {
    return totalRecordedEvents;
  }

  @Override
  public int getTotalRecordedLinks() {
    return totalRecordedLinks;
  }

  @Override
  public int getTotalAttributeCount() {
    return totalAttributeCount;
  }

  @Override
  @SuppressWarnings("deprecation") // required by the SpanData interface
  public io.opentelemetry.sdk.common.InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
    return io.opentelemetry.sdk.common.InstrumentationLibraryInfo.create(
        scope.getName(), scope.getVersion(), scope.getSchemaUrl());
  }

  @Override
  public InstrumentationScopeInfo getInstrumentationScopeInfo() {
    return scope;
  }

  @Override
  public Resource getResource() {
    return resource;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ImmutableSpanData)) {
      return false;
    }
    ImmutableSpanData that = (ImmutableSpanData) o;
    return startEpochNanos == that.startEpochNanos
        && endEpochNanos == that.endEpochNanos
        && totalAttributeCount == that.totalAttributeCount
        && totalRecordedEvents == that.totalRecordedEvents
        && totalRecordedLinks == that.totalRecordedLinks
        && name.equals(that.name)
        && kind == that.kind
        && spanContext.equals(that.spanContext)
        && parentSpanContext.equals(that.parentSpanContext)
        && status.equals(that.status)
        && attributes.equals(that.attributes)
        && events.equals(that.events)
        && links.equals(that.links)
        && scope.equals(that.scope)
        && resource.equals(that.resource);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
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
        totalRecordedLinks,
        scope,
        resource);
  }

  @Override
  public String toString() {
    return "ImmutableSpanData{name="
        + name
        + ", kind="
        + kind
        + ", spanContext="
        + spanContext
        + ", parentSpanContext="
        + parentSpanContext
        + ", status="
        + status
        + ", startEpochNanos="
        + startEpochNanos
        + ", endEpochNanos="
        + endEpochNanos
        + ", attributes="
        + attributes
        + ", totalAttributeCount="
        + totalAttributeCount
        + ", events="
        + events
        + ", totalRecordedEvents="
        + totalRecordedEvents
        + ", links="
        + links
        + ", totalRecordedLinks="
        + totalRecordedLinks
        + ", scope="
        + scope
        + ", resource="
        + resource
        + "}";
  }
}
