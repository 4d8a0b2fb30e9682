package dev.spantransport.forwarder.kata;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test helper: writes a {@link SpanData} as {@code bincode::serialize} (1.3, fixint, little-endian)
 * of the Rust opentelemetry 0.14 {@code SpanData}, following forwarder/KATA-FORMAT.md. Independent
 * of the decoder: it shares no code with it.
 */
final class BincodeSpanWriter {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private BincodeSpanWriter() {}

  /**
   * Writes {@code span}. Empty event and link queues are written as {@code None}, as the Rust
   * EvictedQueue is before its first push; {@code resourceNone} writes {@code resource: None}.
   */
  static byte[] write(SpanData span, boolean resourceNone) {
    BincodeSpanWriter w = new BincodeSpanWriter();
    w.spanContext(span.getSpanContext());
    w.u64(
        span.getParentSpanContext().isValid()
            ? new BigInteger(span.getParentSpanContext().getSpanId(), 16).longValue()
            : 0);
    w.u32(kindIndex(span.getKind()));
    w.string(span.getName());
    w.time(span.getStartEpochNanos());
    w.time(span.getEndEpochNanos());
    // EvictedHashMap { map, evict_list, max_len, dropped_count }
    w.valueMap(span.getAttributes());
    w.u64(span.getAttributes().size());
    span.getAttributes().forEach((k, v) -> w.string(k.getKey()));
    w.u32(128);
    w.u32(span.getTotalAttributeCount() - span.getAttributes().size());
    // EvictedQueue<Event> { queue: Option<VecDeque<Event>>, max_len, dropped_count }
    if (span.getEvents().isEmpty()) {
      w.u8(0);
    } else {
      w.u8(1);
      w.u64(span.getEvents().size());
      for (EventData e : span.getEvents()) {
        w.string(e.getName());
        w.time(e.getEpochNanos());
        w.keyValues(e.getAttributes());
        w.u32(e.getTotalAttributeCount() - e.getAttributes().size());
      }
    }
    w.u32(128);
    w.u32(span.getTotalRecordedEvents() - span.getEvents().size());
    if (span.getLinks().isEmpty()) {
      w.u8(0);
    } else {
      w.u8(1);
      w.u64(span.getLinks().size());
      for (LinkData l : span.getLinks()) {
        w.spanContext(l.getSpanContext());
        w.keyValues(l.getAttributes());
        w.u32(l.getTotalAttributeCount() - l.getAttributes().size());
      }
    }
    w.u32(128);
    w.u32(span.getTotalRecordedLinks() - span.getLinks().size());
    w.u32(span.getStatus().getStatusCode().ordinal()); // OTel Java: UNSET, OK, ERROR
    w.string(span.getStatus().getDescription());
    if (resourceNone) {
      w.u8(0);
    } else {
      w.u8(1);
      w.valueMap(span.getResource().getAttributes());
    }
    return w.out.toByteArray();
  }

  static int kindIndex(SpanKind kind) {
    switch (kind) {
      case CLIENT:
        return 0;
      case SERVER:
        return 1;
      case PRODUCER:
        return 2;
      case CONSUMER:
        return 3;
      default:
        return 4;
    }
  }

  private void spanContext(SpanContext c) {
    BigInteger trace = new BigInteger(c.getTraceId(), 16);
    u64(trace.longValue());
    u64(trace.shiftRight(64).longValue());
    u64(new BigInteger(c.getSpanId(), 16).longValue());
    u8(c.getTraceFlags().asByte() & 0xFF);
    u8(c.isRemote() ? 1 : 0);
    List<String> state = new ArrayList<>();
    c.getTraceState()
        .forEach(
            (k, v) -> {
              state.add(k);
              state.add(v);
            });
    if (state.isEmpty()) {
      u8(0);
    } else {
      u8(1);
      u64(state.size() / 2);
      for (String s : state) {
        string(s);
      }
    }
  }

  private void time(long epochNanos) {
    u64(epochNanos / 1_000_000_000L);
    u32((int) (epochNanos % 1_000_000_000L));
  }

  private void valueMap(Attributes attributes) {
    u64(attributes.size());
    for (Map.Entry<AttributeKey<?>, Object> e : attributes.asMap().entrySet()) {
      string(e.getKey().getKey());
      value(e.getKey(), e.getValue());
    }
  }

  private void keyValues(Attributes attributes) {
    valueMap(attributes); // Vec<KeyValue> has the same bytes as a map: count, then key, value
  }

  @SuppressWarnings("unchecked")
  private void value(AttributeKey<?> key, Object value) {
    switch (key.getType()) {
      case BOOLEAN:
        u32(0);
        u8((Boolean) value ? 1 : 0);
        break;
      case LONG:
        u32(1);
        u64((Long) value);
        break;
      case DOUBLE:
        u32(2);
        u64(Double.doubleToRawLongBits((Double) value));
        break;
      case STRING:
        u32(3);
        string((String) value);
        break;
      case BOOLEAN_ARRAY:
        u32(4);
        u32(0);
        u64(((List<?>) value).size());
        for (Boolean b : (List<Boolean>) value) {
          u8(b ? 1 : 0);
        }
        break;
      case LONG_ARRAY:
        u32(4);
        u32(1);
        u64(((List<?>) value).size());
        for (Long l : (List<Long>) value) {
          u64(l);
        }
        break;
      case DOUBLE_ARRAY:
        u32(4);
        u32(2);
        u64(((List<?>) value).size());
        for (Double d : (List<Double>) value) {
          u64(Double.doubleToRawLongBits(d));
        }
        break;
      default:
        u32(4);
        u32(3);
        u64(((List<?>) value).size());
        for (String s : (List<String>) value) {
          string(s);
        }
    }
  }

  private void string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    u64(b.length);
    out.writeBytes(b);
  }

  private void u8(int v) {
    out.write(v);
  }

  private void u32(int v) {
    for (int i = 0; i < 4; i++) {
      out.write(v >>> (8 * i));
    }
  }

  private void u64(long v) {
    for (int i = 0; i < 8; i++) {
      out.write((int) (v >>> (8 * i)));
    }
  }
}
