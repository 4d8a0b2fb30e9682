package dev.spantransport.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * A naive per-span JSON dump (one object per span, resource repeated in each), a stand-in for the
 * per-span JSON the Kata agent forwards today.
 */
final class JsonSpanWriter {
  private final JsonFactory factory = new JsonFactory();

  void write(List<SpanData> spans, OutputStream out) throws IOException {
    try (JsonGenerator g = factory.createGenerator(out)) {
      g.writeStartArray();
      for (SpanData span : spans) {
        g.writeStartObject();
        g.writeStringField("trace_id", span.getTraceId());
        g.writeStringField("span_id", span.getSpanId());
        g.writeStringField("parent_span_id", span.getParentSpanId());
        g.writeStringField("name", span.getName());
        g.writeStringField("kind", span.getKind().name());
        g.writeNumberField("start_time_unix_nano", span.getStartEpochNanos());
        g.writeNumberField("end_time_unix_nano", span.getEndEpochNanos());
        g.writeObjectFieldStart("attributes");
        writeAttributes(g, span.getAttributes());
        g.writeEndObject();
        g.writeArrayFieldStart("events");
        for (EventData event : span.getEvents()) {
          g.writeStartObject();
          g.writeStringField("name", event.getName());
          g.writeNumberField("time_unix_nano", event.getEpochNanos());
          g.writeObjectFieldStart("attributes");
          writeAttributes(g, event.getAttributes());
          g.writeEndObject();
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("status", span.getStatus().getStatusCode().name());
        g.writeObjectFieldStart("resource");
        writeAttributes(g, span.getResource().getAttributes());
        g.writeEndObject();
        g.writeStringField("scope", span.getInstrumentationScopeInfo().getName());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
  }

  private static void writeAttributes(JsonGenerator g, io.opentelemetry.api.common.Attributes a)
      throws IOException {
    for (var entry : a.asMap().entrySet()) {
      Object v = entry.getValue();
      String key = entry.getKey().getKey();
      if (v instanceof String) {
        g.writeStringField(key, (String) v);
      } else if (v instanceof Long) {
        g.writeNumberField(key, (Long) v);
      } else if (v instanceof Double) {
        g.writeNumberField(key, (Double) v);
      } else if (v instanceof Boolean) {
        g.writeBooleanField(key, (Boolean) v);
      } else {
        g.writeStringField(key, String.valueOf(v));
      }
    }
  }
}
