package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.writeFixed32;
import static dev.spantransport.codec.internal.ProtoWire.writeFixed64;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;
import java.util.RandomAccess;

/**
 * Writes an OTLP {@code Span} (with its {@code Status}) in one pass: the span's length prefix gets
 * two bytes, the width of nearly every span's length, and is patched once the body is written.
 * Fields are written in field-number order and defaults are left out, as OpenTelemetry's marshalers
 * do, so the bytes are theirs.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class SpanWriter {
  private static final byte TAG_TRACE_ID = 0x0A; // trace_id = 1
  private static final byte TAG_SPAN_ID = 0x12; // span_id = 2
  private static final byte TAG_TRACE_STATE = 0x1A; // trace_state = 3
  private static final byte TAG_PARENT_SPAN_ID = 0x22; // parent_span_id = 4
  private static final byte TAG_NAME = 0x2A; // name = 5
  private static final byte TAG_KIND = 0x30; // kind = 6
  private static final byte TAG_START = 0x39; // start_time_unix_nano = 7, fixed64
  private static final byte TAG_END = 0x41; // end_time_unix_nano = 8, fixed64
  private static final byte TAG_ATTRIBUTES = 0x4A; // attributes = 9
  private static final byte TAG_DROPPED_ATTRIBUTES = 0x50; // dropped_attributes_count = 10
  private static final byte TAG_EVENTS = 0x5A; // events = 11
  private static final byte TAG_DROPPED_EVENTS = 0x60; // dropped_events_count = 12
  private static final byte TAG_LINKS = 0x6A; // links = 13
  private static final byte TAG_DROPPED_LINKS = 0x70; // dropped_links_count = 14
  private static final byte TAG_STATUS = 0x7A; // status = 15
  // flags = 16, fixed32: tag 133 as a two-byte varint.
  private static final byte TAG_FLAGS_0 = (byte) 0x85;
  private static final byte TAG_FLAGS_1 = 0x01;
  private static final byte TAG_STATUS_MESSAGE = 0x12; // Status.message = 2
  private static final byte TAG_STATUS_CODE = 0x18; // Status.code = 3

  /** Width reserved for a span's length prefix: spans of 128 to 16,383 bytes. */
  private static final int SPAN_LENGTH_RESERVE = 2;

  private final EncodeBuffer out;
  private final KeyValueWriter attributes;
  private final SpanEventWriter events;
  private final SpanLinkWriter links;
  private final TraceStateWriter traceStates;
  private final SpanIds ids;

  public SpanWriter(
      EncodeBuffer out,
      KeyValueWriter attributes,
      SpanEventWriter events,
      SpanLinkWriter links,
      TraceStateWriter traceStates,
      SpanIds ids) {
    this.out = out;
    this.attributes = attributes;
    this.events = events;
    this.links = links;
    this.traceStates = traceStates;
    this.ids = ids;
  }

  /** Writes {@code tag}, the length and the span; returns the end. */
  public int write(int pos, byte tag, SpanData span) {
    // tag, length, trace id, span id, parent span id
    byte[] b = out.ensure(pos, 1 + SPAN_LENGTH_RESERVE + 18 + 10 + 10);
    b[pos] = tag;
    int start = pos + 1 + SPAN_LENGTH_RESERVE;
    int p = start;
    SpanContext context = span.getSpanContext();
    SpanContext parent = span.getParentSpanContext();
    String parentSpanId = parent.isValid() ? parent.getSpanId() : null;
    p =
        ids.writeTraceAndSpanId(
            b,
            p,
            TAG_TRACE_ID,
            context.getTraceId(),
            TAG_SPAN_ID,
            context.getSpanId(),
            parentSpanId);
    TraceState traceState = context.getTraceState();
    if (!traceState.isEmpty()) {
      p = traceStates.write(p, TAG_TRACE_STATE, traceState);
      b = out.ensure(p, 10);
    }
    if (parentSpanId != null) {
      b[p++] = TAG_PARENT_SPAN_ID;
      b[p++] = 8;
      p = ids.writeParentSpanId(b, p, parentSpanId);
    }
    String name = span.getName();
    if (!name.isEmpty()) {
      p = out.writeStringField(p, TAG_NAME, name);
    }
    // kind, start and end time
    b = out.ensure(p, 2 + 9 + 9);
    b[p++] = TAG_KIND;
    b[p++] = (byte) spanKind(span.getKind());
    long startTime = span.getStartEpochNanos();
    if (startTime != 0) {
      b[p++] = TAG_START;
      p = writeFixed64(b, p, startTime);
    }
    long endTime = span.getEndEpochNanos();
    if (endTime != 0) {
      b[p++] = TAG_END;
      p = writeFixed64(b, p, endTime);
    }
    Attributes spanAttributes = span.getAttributes();
    p = attributes.writeAttributes(p, TAG_ATTRIBUTES, spanAttributes);
    int dropped = span.getTotalAttributeCount() - spanAttributes.size();
    if (dropped != 0) {
      p = out.writeVarintField(p, TAG_DROPPED_ATTRIBUTES, dropped);
    }
    p = writeEvents(p, span);
    p = writeLinks(p, span);
    p = writeStatus(p, span.getStatus());
    b = out.ensure(p, 6);
    b[p++] = TAG_FLAGS_0;
    b[p++] = TAG_FLAGS_1;
    p = writeFixed32(b, p, flags(context.getTraceFlags().asByte(), parent.isRemote()));
    return out.endMessage(start, SPAN_LENGTH_RESERVE, p);
  }

  private int writeEvents(int p, SpanData span) {
    List<EventData> list = span.getEvents();
    int count = list.size();
    if (count > 0) {
      if (list instanceof RandomAccess) {
        for (int i = 0; i < count; i++) {
          p = events.write(p, TAG_EVENTS, list.get(i));
        }
      } else {
        for (EventData event : list) {
          p = events.write(p, TAG_EVENTS, event);
        }
      }
    }
    int dropped = span.getTotalRecordedEvents() - count;
    if (dropped != 0) {
      p = out.writeVarintField(p, TAG_DROPPED_EVENTS, dropped);
    }
    return p;
  }

  private int writeLinks(int p, SpanData span) {
    List<LinkData> list = span.getLinks();
    int count = list.size();
    if (count > 0) {
      if (list instanceof RandomAccess) {
        for (int i = 0; i < count; i++) {
          p = links.write(p, TAG_LINKS, list.get(i));
        }
      } else {
        for (LinkData link : list) {
          p = links.write(p, TAG_LINKS, link);
        }
      }
    }
    int dropped = span.getTotalRecordedLinks() - count;
    if (dropped != 0) {
      p = out.writeVarintField(p, TAG_DROPPED_LINKS, dropped);
    }
    return p;
  }

  /** Writes the status field (always present); returns the end. */
  private int writeStatus(int pos, StatusData status) {
    int code = statusCode(status.getStatusCode());
    String description = status.getDescription();
    if (description.isEmpty()) {
      byte[] b = out.ensure(pos, 4);
      b[pos++] = TAG_STATUS;
      if (code == 0) {
        b[pos++] = 0;
        return pos;
      }
      b[pos++] = 2;
      b[pos++] = TAG_STATUS_CODE;
      b[pos++] = (byte) code;
      return pos;
    }
    byte[] b = out.ensure(pos, 2);
    b[pos] = TAG_STATUS;
    int start = pos + 2;
    int p = out.writeStringField(start, TAG_STATUS_MESSAGE, description);
    if (code != 0) {
      b = out.ensure(p, 2);
      b[p++] = TAG_STATUS_CODE;
      b[p++] = (byte) code;
    }
    return out.endMessage(start, 1, p);
  }

  /**
   * The OTLP {@code flags} of a span or link: W3C trace flags and whether the context is remote.
   */
  static int flags(byte traceFlags, boolean remote) {
    return (traceFlags & OtlpFields.FLAGS_TRACE_FLAGS_MASK)
        | OtlpFields.FLAGS_CONTEXT_HAS_IS_REMOTE
        | (remote ? OtlpFields.FLAGS_CONTEXT_IS_REMOTE : 0);
  }

  // OTLP's codes by enum ordinal: one array load instead of a switch over the enum.
  private static final int[] SPAN_KINDS = new int[SpanKind.values().length];
  private static final int[] STATUS_CODES = new int[StatusCode.values().length];

  static {
    for (SpanKind kind : SpanKind.values()) {
      SPAN_KINDS[kind.ordinal()] = spanKindCode(kind);
    }
    for (StatusCode code : StatusCode.values()) {
      STATUS_CODES[code.ordinal()] = statusCodeValue(code);
    }
  }

  private static int spanKind(SpanKind kind) {
    return SPAN_KINDS[kind.ordinal()];
  }

  private static int statusCode(StatusCode code) {
    return STATUS_CODES[code.ordinal()];
  }

  private static int spanKindCode(SpanKind kind) {
    switch (kind) {
      case INTERNAL:
        return 1;
      case SERVER:
        return 2;
      case CLIENT:
        return 3;
      case PRODUCER:
        return 4;
      case CONSUMER:
        return 5;
    }
    return 0;
  }

  private static int statusCodeValue(StatusCode code) {
    switch (code) {
      case OK:
        return 1;
      case ERROR:
        return 2;
      case UNSET:
        return 0;
    }
    return 0;
  }
}
