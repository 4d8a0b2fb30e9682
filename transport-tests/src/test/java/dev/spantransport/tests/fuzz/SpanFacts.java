package dev.spantransport.tests.fuzz;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Everything OTLP carries about a span, as a list that compares by value. */
final class SpanFacts {
  private SpanFacts() {}

  static List<Object> of(SpanData s) {
    return Arrays.asList(
        s.getSpanContext(),
        s.getParentSpanContext(),
        s.getName(),
        s.getKind(),
        s.getStartEpochNanos(),
        s.getEndEpochNanos(),
        s.getAttributes(),
        s.getTotalAttributeCount(),
        s.getEvents(),
        s.getTotalRecordedEvents(),
        s.getLinks(),
        s.getTotalRecordedLinks(),
        s.getStatus(),
        s.getResource(),
        s.getInstrumentationScopeInfo());
  }

  static List<List<Object>> of(List<SpanData> spans) {
    List<List<Object>> facts = new ArrayList<>(spans.size());
    for (SpanData s : spans) {
      facts.add(of(s));
    }
    return facts;
  }
}
