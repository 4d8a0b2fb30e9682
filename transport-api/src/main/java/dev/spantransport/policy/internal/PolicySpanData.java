package dev.spantransport.policy.internal;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;

/**
 * A span as a policy left it: everything from the original but the name, the attributes, the
 * events, the links and the resource. The total attribute count stays the original's, so what the
 * policy dropped shows as dropped.
 *
 * <p>This class is internal and may change without notice.
 */
public final class PolicySpanData extends DelegatingSpanData {

  private final String name;
  private final Attributes attributes;
  private final List<EventData> events;
  private final List<LinkData> links;
  private final Resource resource;

  /** Wraps {@code span} with the policy's results. */
  public PolicySpanData(
      SpanData span,
      String name,
      Attributes attributes,
      List<EventData> events,
      List<LinkData> links,
      Resource resource) {
    super(span);
    this.name = name;
    this.attributes = attributes;
    this.events = events;
    this.links = links;
    this.resource = resource;
  }

  @Override
  public String getName() {
    return name;
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
  public Resource getResource() {
    return resource;
  }
}
