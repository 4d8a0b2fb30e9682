package dev.spantransport.forwarder.kata.internal;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;
import java.util.Objects;

/**
 * An immutable, ended {@link SpanData} rebuilt from a Kata agent frame.
 *
 * <p>This class is internal and is not intended for public use. Its API may change at any time.
 */
public final class KataSpanData implements SpanData {

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
  private final InstrumentationScopeInfo scope;
  private final Resource resource;

  /**
   * Creates the span. Lists are copied; counts below the recorded sizes are raised to them.
   *
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
   * @param scope instrumentation scope
   * @param resource resource of the producing entity
   */
  public KataSpanData(
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
      int totalRecordedLinks,
      InstrumentationScopeInfo scope,
      Resource resource) {
    this.name = Objects.requireNonNull(name, "name");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.spanContext = Objects.requireNonNull(spanContext, "spanContext");
    this.parentSpanContext = Objects.requireNonNull(parentSpanContext, "parentSpanContext");
    this.status = Objects.requireNonNull(status, "status");
    this.startEpochNanos = startEpochNanos;
    this.endEpochNanos = endEpochNanos;
    this.attributes = Objects.requireNonNull(attributes, "attributes");
    this.totalAttributeCount = Math.max(totalAttributeCount, attributes.size());
    this.events = List.copyOf(events);
    this.totalRecordedEvents = Math.max(totalRecordedEvents, this.events.size());
    this.links = List.copyOf(links);
    this.totalRecordedLinks = Math.max(totalRecordedLinks, this.links.size());
    this.scope = Objects.requireNonNull(scope, "scope");
    this.resource = Objects.requireNonNull(resource, "resource");
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
  @Deprecated
  public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
    return InstrumentationLibraryInfo.create(
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
    if (!(o instanceof KataSpanData)) {
      return false;
    }
    KataSpanData that = (KataSpanData) o;
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
    return "KataSpanData{name="
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
