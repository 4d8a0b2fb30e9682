package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED32;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED64;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_LENGTH_DELIMITED;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_VARINT;

import dev.spantransport.codec.MalformedPayloadException;

/**
 * Walks an OTLP {@code ExportTraceServiceRequest} down to every attribute value, checking framing,
 * the wire types of known fields, id sizes and nesting depth, and counts the spans. Well-formed
 * payloads in the usual encoding take {@link OtlpSpanCounter}'s allocation-free fast path; anything
 * else takes the full walk with a {@link WireReader}, which names the first fault. The decoder and
 * the resource rewriter run it first, so everything they accept has passed the same checks.
 *
 * <p>Unknown fields are skipped by wire type (forward compatibility). Strings are not checked for
 * valid UTF-8; the decoder replaces invalid sequences with U+FFFD.
 *
 * <p>This class is internal and may change at any time.
 */
public final class OtlpValidator {
  private OtlpValidator() {}

  /**
   * Validates {@code length} bytes at {@code offset} and returns the number of spans. Runs {@link
   * OtlpSpanCounter} first, and the full walk ({@link #walk}) only when that cannot decide.
   */
  public static int countSpans(byte[] buffer, int offset, int length)
      throws MalformedPayloadException {
    int spans = OtlpSpanCounter.countSpans(buffer, offset, length);
    return spans != OtlpSpanCounter.BAIL ? spans : walk(buffer, offset, length);
  }

  /**
   * The full validating walk behind {@link #countSpans}, with a {@link WireReader}: returns the
   * number of spans, or throws naming the first fault in payload order.
   */
  public static int walk(byte[] buffer, int offset, int length) throws MalformedPayloadException {
    WireReader r = new WireReader(buffer, offset);
    int end = offset + length;
    int spans = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "ExportTraceServiceRequest");
      if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS) {
        r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ExportTraceServiceRequest.resource_spans");
        int len = r.readLength(end, "ExportTraceServiceRequest.resource_spans");
        int spansBefore = spans;
        spans += resourceSpans(r, r.pos() + len);
        if (spans < spansBefore) {
          throw r.malformed("more than " + Integer.MAX_VALUE + " spans");
        }
      } else {
        r.skip(tag, end, "ExportTraceServiceRequest");
      }
    }
    return spans;
  }

  /**
   * Validates one top-level AnyValue body in [{@code r.pos()}, {@code end}) with the same checks
   * {@link #countSpans} applies to it, leaving the reader at {@code end}.
   */
  public static void anyValue(WireReader r, int end) throws MalformedPayloadException {
    anyValue(r, end, 0);
  }

  private static int resourceSpans(WireReader r, int end) throws MalformedPayloadException {
    int spans = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "ResourceSpans");
      switch (tag >>> 3) {
        case OtlpFields.RESOURCE_SPANS_RESOURCE:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ResourceSpans.resource");
            int len = r.readLength(end, "ResourceSpans.resource");
            resource(r, r.pos() + len);
            break;
          }
        case OtlpFields.RESOURCE_SPANS_SCOPE_SPANS:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ResourceSpans.scope_spans");
            int len = r.readLength(end, "ResourceSpans.scope_spans");
            spans += scopeSpans(r, r.pos() + len);
            break;
          }
        case OtlpFields.RESOURCE_SPANS_SCHEMA_URL:
          bytes(r, tag, end, "ResourceSpans.schema_url");
          break;
        default:
          r.skip(tag, end, "ResourceSpans");
      }
    }
    return spans;
  }

  private static void resource(WireReader r, int end) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "Resource");
      switch (tag >>> 3) {
        case OtlpFields.RESOURCE_ATTRIBUTES:
          keyValueField(r, tag, end, "Resource.attributes", 0);
          break;
        case OtlpFields.RESOURCE_DROPPED_ATTRIBUTES_COUNT:
          varint(r, tag, end, "Resource.dropped_attributes_count");
          break;
        default:
          r.skip(tag, end, "Resource");
      }
    }
  }

  private static int scopeSpans(WireReader r, int end) throws MalformedPayloadException {
    int spans = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "ScopeSpans");
      switch (tag >>> 3) {
        case OtlpFields.SCOPE_SPANS_SCOPE:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ScopeSpans.scope");
            int len = r.readLength(end, "ScopeSpans.scope");
            scope(r, r.pos() + len);
            break;
          }
        case OtlpFields.SCOPE_SPANS_SPANS:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ScopeSpans.spans");
            int len = r.readLength(end, "ScopeSpans.spans");
            span(r, r.pos() + len);
            spans++;
            break;
          }
        case OtlpFields.SCOPE_SPANS_SCHEMA_URL:
          bytes(r, tag, end, "ScopeSpans.schema_url");
          break;
        default:
          r.skip(tag, end, "ScopeSpans");
      }
    }
    return spans;
  }

  private static void scope(WireReader r, int end) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "InstrumentationScope");
      switch (tag >>> 3) {
        case OtlpFields.SCOPE_NAME:
          bytes(r, tag, end, "InstrumentationScope.name");
          break;
        case OtlpFields.SCOPE_VERSION:
          bytes(r, tag, end, "InstrumentationScope.version");
          break;
        case OtlpFields.SCOPE_ATTRIBUTES:
          keyValueField(r, tag, end, "InstrumentationScope.attributes", 0);
          break;
        case OtlpFields.SCOPE_DROPPED_ATTRIBUTES_COUNT:
          varint(r, tag, end, "InstrumentationScope.dropped_attributes_count");
          break;
        default:
          r.skip(tag, end, "InstrumentationScope");
      }
    }
  }

  private static void span(WireReader r, int end) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span");
      switch (tag >>> 3) {
        case OtlpFields.SPAN_TRACE_ID:
          id(r, tag, end, "Span.trace_id", 16);
          break;
        case OtlpFields.SPAN_SPAN_ID:
          id(r, tag, end, "Span.span_id", 8);
          break;
        case OtlpFields.SPAN_TRACE_STATE:
          bytes(r, tag, end, "Span.trace_state");
          break;
        case OtlpFields.SPAN_PARENT_SPAN_ID:
          id(r, tag, end, "Span.parent_span_id", 8);
          break;
        case OtlpFields.SPAN_NAME:
          bytes(r, tag, end, "Span.name");
          break;
        case OtlpFields.SPAN_KIND:
          varint(r, tag, end, "Span.kind");
          break;
        case OtlpFields.SPAN_START_TIME:
          r.expect(tag, WIRETYPE_FIXED64, "Span.start_time_unix_nano");
          r.readFixed64(end, "Span.start_time_unix_nano");
          break;
        case OtlpFields.SPAN_END_TIME:
          r.expect(tag, WIRETYPE_FIXED64, "Span.end_time_unix_nano");
          r.readFixed64(end, "Span.end_time_unix_nano");
          break;
        case OtlpFields.SPAN_ATTRIBUTES:
          keyValueField(r, tag, end, "Span.attributes", 0);
          break;
        case OtlpFields.SPAN_DROPPED_ATTRIBUTES_COUNT:
          varint(r, tag, end, "Span.dropped_attributes_count");
          break;
        case OtlpFields.SPAN_EVENTS:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "Span.events");
            int len = r.readLength(end, "Span.events");
            event(r, r.pos() + len);
            break;
          }
        case OtlpFields.SPAN_DROPPED_EVENTS_COUNT:
          varint(r, tag, end, "Span.dropped_events_count");
          break;
        case OtlpFields.SPAN_LINKS:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "Span.links");
            int len = r.readLength(end, "Span.links");
            link(r, r.pos() + len);
            break;
          }
        case OtlpFields.SPAN_DROPPED_LINKS_COUNT:
          varint(r, tag, end, "Span.dropped_links_count");
          break;
        case OtlpFields.SPAN_STATUS:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "Span.status");
            int len = r.readLength(end, "Span.status");
            status(r, r.pos() + len);
            break;
          }
        case OtlpFields.SPAN_FLAGS:
          r.expect(tag, WIRETYPE_FIXED32, "Span.flags");
          r.readFixed32(end, "Span.flags");
          break;
        default:
          r.skip(tag, end, "Span");
      }
    }
  }

  private static void event(WireReader r, int end) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span.Event");
      switch (tag >>> 3) {
        case OtlpFields.EVENT_TIME:
          r.expect(tag, WIRETYPE_FIXED64, "Span.Event.time_unix_nano");
          r.readFixed64(end, "Span.Event.time_unix_nano");
          break;
        case OtlpFields.EVENT_NAME:
          bytes(r, tag, end, "Span.Event.name");
          break;
        case OtlpFields.EVENT_ATTRIBUTES:
          keyValueField(r, tag, end, "Span.Event.attributes", 0);
          break;
        case OtlpFields.EVENT_DROPPED_ATTRIBUTES_COUNT:
          varint(r, tag, end, "Span.Event.dropped_attributes_count");
          break;
        default:
          r.skip(tag, end, "Span.Event");
      }
    }
  }

  private static void link(WireReader r, int end) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span.Link");
      switch (tag >>> 3) {
        case OtlpFields.LINK_TRACE_ID:
          id(r, tag, end, "Span.Link.trace_id", 16);
          break;
        case OtlpFields.LINK_SPAN_ID:
          id(r, tag, end, "Span.Link.span_id", 8);
          break;
        case OtlpFields.LINK_TRACE_STATE:
          bytes(r, tag, end, "Span.Link.trace_state");
          break;
        case OtlpFields.LINK_ATTRIBUTES:
          keyValueField(r, tag, end, "Span.Link.attributes", 0);
          break;
        case OtlpFields.LINK_DROPPED_ATTRIBUTES_COUNT:
          varint(r, tag, end, "Span.Link.dropped_attributes_count");
          break;
        case OtlpFields.LINK_FLAGS:
          r.expect(tag, WIRETYPE_FIXED32, "Span.Link.flags");
          r.readFixed32(end, "Span.Link.flags");
          break;
        default:
          r.skip(tag, end, "Span.Link");
      }
    }
  }

  private static void status(WireReader r, int end) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "Status");
      switch (tag >>> 3) {
        case OtlpFields.STATUS_MESSAGE:
          bytes(r, tag, end, "Status.message");
          break;
        case OtlpFields.STATUS_CODE:
          varint(r, tag, end, "Status.code");
          break;
        default:
          r.skip(tag, end, "Status");
      }
    }
  }

  private static void keyValueField(WireReader r, int tag, int end, String field, int depth)
      throws MalformedPayloadException {
    r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
    int len = r.readLength(end, field);
    keyValue(r, r.pos() + len, depth);
  }

  private static void keyValue(WireReader r, int end, int depth) throws MalformedPayloadException {
    while (r.pos() < end) {
      int tag = r.readTag(end, "KeyValue");
      switch (tag >>> 3) {
        case OtlpFields.KEY_VALUE_KEY:
          bytes(r, tag, end, "KeyValue.key");
          break;
        case OtlpFields.KEY_VALUE_VALUE:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "KeyValue.value");
            int len = r.readLength(end, "KeyValue.value");
            anyValue(r, r.pos() + len, depth);
            break;
          }
        default:
          r.skip(tag, end, "KeyValue");
      }
    }
  }

  private static void anyValue(WireReader r, int end, int depth) throws MalformedPayloadException {
    if (depth > OtlpFields.MAX_VALUE_DEPTH) {
      throw r.malformed("AnyValue nested deeper than " + OtlpFields.MAX_VALUE_DEPTH + " levels");
    }
    while (r.pos() < end) {
      int tag = r.readTag(end, "AnyValue");
      switch (tag >>> 3) {
        case OtlpFields.ANY_STRING:
          bytes(r, tag, end, "AnyValue.string_value");
          break;
        case OtlpFields.ANY_BOOL:
          varint(r, tag, end, "AnyValue.bool_value");
          break;
        case OtlpFields.ANY_INT:
          varint(r, tag, end, "AnyValue.int_value");
          break;
        case OtlpFields.ANY_DOUBLE:
          r.expect(tag, WIRETYPE_FIXED64, "AnyValue.double_value");
          r.readFixed64(end, "AnyValue.double_value");
          break;
        case OtlpFields.ANY_ARRAY:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "AnyValue.array_value");
            int len = r.readLength(end, "AnyValue.array_value");
            list(r, r.pos() + len, depth + 1, false);
            break;
          }
        case OtlpFields.ANY_KVLIST:
          {
            r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "AnyValue.kvlist_value");
            int len = r.readLength(end, "AnyValue.kvlist_value");
            list(r, r.pos() + len, depth + 1, true);
            break;
          }
        case OtlpFields.ANY_BYTES:
          bytes(r, tag, end, "AnyValue.bytes_value");
          break;
        default:
          r.skip(tag, end, "AnyValue");
      }
    }
  }

  private static void list(WireReader r, int end, int depth, boolean keyValues)
      throws MalformedPayloadException {
    String name = keyValues ? "KeyValueList.values" : "ArrayValue.values";
    while (r.pos() < end) {
      int tag = r.readTag(end, name);
      if ((tag >>> 3) == OtlpFields.LIST_VALUES) {
        r.expect(tag, WIRETYPE_LENGTH_DELIMITED, name);
        int len = r.readLength(end, name);
        if (keyValues) {
          keyValue(r, r.pos() + len, depth);
        } else {
          anyValue(r, r.pos() + len, depth);
        }
      } else {
        r.skip(tag, end, name);
      }
    }
  }

  private static void bytes(WireReader r, int tag, int end, String field)
      throws MalformedPayloadException {
    r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
    int len = r.readLength(end, field);
    r.pos(r.pos() + len);
  }

  private static void varint(WireReader r, int tag, int end, String field)
      throws MalformedPayloadException {
    r.expect(tag, WIRETYPE_VARINT, field);
    r.readVarint(end, field);
  }

  private static void id(WireReader r, int tag, int end, String field, int size)
      throws MalformedPayloadException {
    r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
    int start = r.pos();
    int len = r.readLength(end, field);
    if (len != 0 && len != size) {
      r.pos(start);
      throw r.malformed(field + " must be empty or " + size + " bytes: " + len);
    }
    r.pos(r.pos() + len);
  }
}
