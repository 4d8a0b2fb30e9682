package dev.spantransport.forwarder.kata;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Test helper: writes a {@link SpanData} in the serde_json shape of the Rust opentelemetry 0.17
 * {@code SpanData}, as documented on {@link KataSpanDecoder}, so that generated spans can be
 * decoded and compared with the original.
 */
final class SerdeSpanWriter {
  private static final JsonFactory FACTORY = new JsonFactory();

  private SerdeSpanWriter() {}

  /** Writes {@code span}; {@code resourceNull} writes {@code "resource": null}. */
  static byte[] write(SpanData span, boolean resourceNull) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeFieldName("span_context");
      writeContext(g, span.getSpanContext());
      g.writeFieldName("parent_span_id");
      g.writeNumber(
          span.getParentSpanContext().isValid()
              ? unsignedSpanId(span.getParentSpanContext().getSpanId())
              : BigInteger.ZERO);
      g.writeStringField("span_kind", kindName(span.getKind()));
      g.writeStringField("name", span.getName());
      g.writeFieldName("start_time");
      writeTime(g, span.getStartEpochNanos());
      g.writeFieldName("end_time");
      writeTime(g, span.getEndEpochNanos());
      g.writeFieldName("attributes");
      g.writeStartObject();
      g.writeFieldName("map");
      writeValueMap(g, span.getAttributes());
      g.writeArrayFieldStart("evict_list");
      for (AttributeKey<?> key : span.getAttributes().asMap().keySet()) {
        g.writeString(key.getKey());
      }
      g.writeEndArray();
      g.writeNumberField("max_len", 128);
      g.writeNumberField(
          "dropped_count", span.getTotalAttributeCount() - span.getAttributes().size());
      g.writeEndObject();
      g.writeFieldName("events");
      g.writeStartObject();
      g.writeFieldName("queue");
      if (span.getEvents().isEmpty()) {
        g.writeNull();
      } else {
        g.writeStartArray();
        for (EventData event : span.getEvents()) {
          g.writeStartObject();
          g.writeStringField("name", event.getName());
          g.writeFieldName("timestamp");
          writeTime(g, event.getEpochNanos());
          g.writeFieldName("attributes");
          writeKeyValues(g, event.getAttributes());
          g.writeNumberField(
              "dropped_attributes_count",
              event.getTotalAttributeCount() - event.getAttributes().size());
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeNumberField("max_len", 128);
      g.writeNumberField("dropped_count", span.getTotalRecordedEvents() - span.getEvents().size());
      g.writeEndObject();
      g.writeFieldName("links");
      g.writeStartObject();
      g.writeFieldName("queue");
      g.writeStartArray();
      for (LinkData link : span.getLinks()) {
        g.writeStartObject();
        g.writeFieldName("span_context");
        writeContext(g, link.getSpanContext());
        g.writeFieldName("attributes");
        writeKeyValues(g, link.getAttributes());
        g.writeNumberField(
            "dropped_attributes_count",
            link.getTotalAttributeCount() - link.getAttributes().size());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNumberField("max_len", 128);
      g.writeNumberField("dropped_count", span.getTotalRecordedLinks() - span.getLinks().size());
      g.writeEndObject();
      String code;
      switch (span.getStatus().getStatusCode()) {
        case OK:
          code = "Ok";
          break;
        case ERROR:
          code = "Error";
          break;
        default:
          code = "Unset";
      }
      g.writeStringField("status_code", code);
      g.writeStringField("status_message", span.getStatus().getDescription());
      g.writeFieldName("resource");
      if (resourceNull) {
        g.writeNull();
      } else {
        g.writeStartObject();
        g.writeFieldName("attrs");
        writeValueMap(g, span.getResource().getAttributes());
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Frames a payload as the agent does: 8-byte big-endian length, then the payload. */
  static byte[] frame(byte[] payload) {
    byte[] frame = new byte[8 + payload.length];
    long length = payload.length;
    for (int i = 0; i < 8; i++) {
      frame[i] = (byte) (length >>> (56 - 8 * i));
    }
    System.arraycopy(payload, 0, frame, 8, payload.length);
    return frame;
  }

  static BigInteger unsignedSpanId(String hex) {
    return new BigInteger(hex, 16);
  }

  private static String kindName(SpanKind kind) {
    String lower = kind.name().toLowerCase(java.util.Locale.ROOT);
    return Character.toUpperCase(lower.charAt(0)) + lower.substring(1);
  }

  private static void writeContext(JsonGenerator g, SpanContext context) throws IOException {
    g.writeStartObject();
    g.writeFieldName("trace_id");
    g.writeNumber(new BigInteger(context.getTraceId(), 16));
    g.writeFieldName("span_id");
    g.writeNumber(unsignedSpanId(context.getSpanId()));
    g.writeNumberField("trace_flags", context.getTraceFlags().asByte() & 0xFF);
    g.writeBooleanField("is_remote", context.isRemote());
    g.writeFieldName("trace_state");
    Map<String, String> state = context.getTraceState().asMap();
    if (state.isEmpty()) {
      g.writeNull();
    } else {
      g.writeStartArray();
      context
          .getTraceState()
          .forEach(
              (k, v) -> {
                try {
                  g.writeStartArray();
                  g.writeString(k);
                  g.writeString(v);
                  g.writeEndArray();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      g.writeEndArray();
    }
    g.writeEndObject();
  }

  private static void writeTime(JsonGenerator g, long epochNanos) throws IOException {
    g.writeStartObject();
    g.writeNumberField("secs_since_epoch", epochNanos / 1_000_000_000L);
    g.writeNumberField("nanos_since_epoch", epochNanos % 1_000_000_000L);
    g.writeEndObject();
  }

  private static void writeValueMap(JsonGenerator g, Attributes attributes) throws IOException {
    g.writeStartObject();
    for (Map.Entry<AttributeKey<?>, Object> e : attributes.asMap().entrySet()) {
      g.writeFieldName(e.getKey().getKey());
      writeValue(g, e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  private static void writeKeyValues(JsonGenerator g, Attributes attributes) throws IOException {
    g.writeStartArray();
    for (Map.Entry<AttributeKey<?>, Object> e : attributes.asMap().entrySet()) {
      g.writeStartObject();
      g.writeStringField("key", e.getKey().getKey());
      g.writeFieldName("value");
      writeValue(g, e.getKey(), e.getValue());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeValue(JsonGenerator g, AttributeKey<?> key, Object value)
      throws IOException {
    g.writeStartObject();
    switch (key.getType()) {
      case BOOLEAN:
        g.writeBooleanField("Bool", (Boolean) value);
        break;
      case LONG:
        g.writeNumberField("I64", (Long) value);
        break;
      case DOUBLE:
        g.writeFieldName("F64");
        writeF64(g, (Double) value);
        break;
      case STRING:
        g.writeStringField("String", (String) value);
        break;
      default:
        g.writeFieldName("Array");
        g.writeStartObject();
        writeArray(g, key, (List<?>) value);
        g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static void writeArray(JsonGenerator g, AttributeKey<?> key, List<?> values)
      throws IOException {
    switch (key.getType()) {
      case BOOLEAN_ARRAY:
        g.writeArrayFieldStart("Bool");
        for (Object v : values) {
          g.writeBoolean((Boolean) v);
        }
        break;
      case LONG_ARRAY:
        g.writeArrayFieldStart("I64");
        for (Object v : values) {
          g.writeNumber((Long) v);
        }
        break;
      case DOUBLE_ARRAY:
        g.writeArrayFieldStart("F64");
        for (Object v : values) {
          writeF64(g, (Double) v);
        }
        break;
      default:
        g.writeArrayFieldStart("String");
        for (Object v : values) {
          g.writeString((String) v);
        }
    }
    g.writeEndArray();
  }

  /** serde_json writes non-finite floats as null. */
  private static void writeF64(JsonGenerator g, double v) throws IOException {
    if (Double.isFinite(v)) {
      g.writeNumber(v);
    } else {
      g.writeNull();
    }
  }
}
