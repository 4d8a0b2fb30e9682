package dev.spantransport.codec;

import dev.spantransport.codec.internal.DecodedSpanData;
import dev.spantransport.codec.internal.OtlpFields;
import dev.spantransport.codec.internal.OtlpValidator;
import dev.spantransport.codec.internal.WireReader;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfoBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Decodes the protobuf bytes of an OTLP {@code ExportTraceServiceRequest} straight into {@link
 * SpanData}, with no intermediate protobuf objects.
 *
 * <p>The payload is first validated in full (framing, wire types of known fields, id sizes, nesting
 * depth), so a malformed or truncated payload fails with a {@link MalformedPayloadException} before
 * any span is built, and no length read from the payload is used before it is checked against the
 * bytes left. Unknown fields are skipped by wire type.
 *
 * <p>Spans of one {@code ResourceSpans} share one {@link Resource}; spans of one {@code ScopeSpans}
 * share one {@link InstrumentationScopeInfo}. What OTLP does not carry is filled in as follows: a
 * parent context takes the span's trace flags and trace state; an empty attribute array becomes an
 * empty {@code STRING_ARRAY}; an empty schema URL or scope version becomes {@code null}; a resource
 * attribute whose key {@link Resource} refuses (not printable ASCII, or longer than 255 characters)
 * is dropped. Invalid UTF-8 in strings is replaced with U+FFFD rather than rejected.
 *
 * <p>A decoder holds no state and is thread-safe.
 */
public final class OtlpSpanDecoder {
  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();
  private static final SpanKind[] KINDS = {
    SpanKind.INTERNAL,
    SpanKind.INTERNAL,
    SpanKind.SERVER,
    SpanKind.CLIENT,
    SpanKind.PRODUCER,
    SpanKind.CONSUMER
  };

  /** Creates a decoder. */
  public OtlpSpanDecoder() {}

  /**
   * Validates the {@code ExportTraceServiceRequest} in {@code buffer[offset, offset + length)} and
   * returns how many spans it holds, without building any of them and without allocating in
   * proportion to the payload. A host uses it to enforce its max-spans-per-frame limit.
   *
   * @throws MalformedPayloadException if the payload is not well-formed
   * @throws IndexOutOfBoundsException if the range is not inside {@code buffer}
   */
  public static int countSpans(byte[] buffer, int offset, int length)
      throws MalformedPayloadException {
    Objects.checkFromIndexSize(offset, length, buffer.length);
    return OtlpValidator.countSpans(buffer, offset, length);
  }

  /**
   * Decodes the {@code ExportTraceServiceRequest} in {@code buffer[offset, offset + length)}.
   *
   * @return a new list of the spans, in payload order
   * @throws MalformedPayloadException if the payload is not well-formed
   * @throws IndexOutOfBoundsException if the range is not inside {@code buffer}
   */
  public List<SpanData> decode(byte[] buffer, int offset, int length)
      throws MalformedPayloadException {
    Objects.checkFromIndexSize(offset, length, buffer.length);
    int count = OtlpValidator.countSpans(buffer, offset, length);
    List<SpanData> spans = new ArrayList<>(count);
    WireReader r = new WireReader(buffer, offset);
    int end = offset + length;
    try {
      while (r.pos() < end) {
        int tag = r.readTag(end, "ExportTraceServiceRequest");
        if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS) {
          int len = r.readLength(end, "ExportTraceServiceRequest.resource_spans");
          int stop = r.pos() + len;
          resourceSpans(r, stop, spans);
          r.pos(stop);
        } else {
          r.skip(tag, end, "ExportTraceServiceRequest");
        }
      }
    } catch (RuntimeException e) {
      // Validation ran first, so this is not expected; keep the promised exception type anyway.
      throw new MalformedPayloadException(
          "payload could not be decoded: " + e, r.offset(r.pos()), e);
    }
    return spans;
  }

  @Override
  public String toString() {
    return "OtlpSpanDecoder{}";
  }

  private static void resourceSpans(WireReader r, int end, List<SpanData> out)
      throws MalformedPayloadException {
    int start = r.pos();
    int resourceStart = -1;
    int resourceEnd = -1;
    String schemaUrl = null;
    while (r.pos() < end) {
      int tag = r.readTag(end, "ResourceSpans");
      int field = tag >>> 3;
      if (field == OtlpFields.RESOURCE_SPANS_RESOURCE) {
        int len = r.readLength(end, "ResourceSpans.resource");
        resourceStart = r.pos();
        resourceEnd = resourceStart + len;
        r.pos(resourceEnd);
      } else if (field == OtlpFields.RESOURCE_SPANS_SCHEMA_URL) {
        schemaUrl = string(r, end, "ResourceSpans.schema_url");
      } else {
        r.skip(tag, end, "ResourceSpans");
      }
    }
    Attributes attributes = Attributes.empty();
    if (resourceStart >= 0) {
      r.pos(resourceStart);
      AttributesBuilder builder = null;
      while (r.pos() < resourceEnd) {
        int tag = r.readTag(resourceEnd, "Resource");
        if ((tag >>> 3) == OtlpFields.RESOURCE_ATTRIBUTES) {
          builder = keyValue(r, resourceEnd, builder);
        } else {
          r.skip(tag, resourceEnd, "Resource");
        }
      }
      if (builder != null) {
        attributes = builder.build();
      }
    }
    Resource resource = Resource.create(resourceAttributes(attributes), emptyToNull(schemaUrl));
    r.pos(start);
    while (r.pos() < end) {
      int tag = r.readTag(end, "ResourceSpans");
      if ((tag >>> 3) == OtlpFields.RESOURCE_SPANS_SCOPE_SPANS) {
        int len = r.readLength(end, "ResourceSpans.scope_spans");
        int stop = r.pos() + len;
        scopeSpans(r, stop, resource, out);
        r.pos(stop);
      } else {
        r.skip(tag, end, "ResourceSpans");
      }
    }
  }

  private static void scopeSpans(WireReader r, int end, Resource resource, List<SpanData> out)
      throws MalformedPayloadException {
    int start = r.pos();
    int scopeStart = -1;
    int scopeEnd = -1;
    String schemaUrl = null;
    while (r.pos() < end) {
      int tag = r.readTag(end, "ScopeSpans");
      int field = tag >>> 3;
      if (field == OtlpFields.SCOPE_SPANS_SCOPE) {
        int len = r.readLength(end, "ScopeSpans.scope");
        scopeStart = r.pos();
        scopeEnd = scopeStart + len;
        r.pos(scopeEnd);
      } else if (field == OtlpFields.SCOPE_SPANS_SCHEMA_URL) {
        schemaUrl = string(r, end, "ScopeSpans.schema_url");
      } else {
        r.skip(tag, end, "ScopeSpans");
      }
    }
    String name = "";
    String version = null;
    AttributesBuilder attributes = null;
    if (scopeStart >= 0) {
      r.pos(scopeStart);
      while (r.pos() < scopeEnd) {
        int tag = r.readTag(scopeEnd, "InstrumentationScope");
        switch (tag >>> 3) {
          case OtlpFields.SCOPE_NAME:
            name = string(r, scopeEnd, "InstrumentationScope.name");
            break;
          case OtlpFields.SCOPE_VERSION:
            version = string(r, scopeEnd, "InstrumentationScope.version");
            break;
          case OtlpFields.SCOPE_ATTRIBUTES:
            attributes = keyValue(r, scopeEnd, attributes);
            break;
          default:
            r.skip(tag, scopeEnd, "InstrumentationScope");
        }
      }
    }
    InstrumentationScopeInfoBuilder builder = InstrumentationScopeInfo.builder(name);
    version = emptyToNull(version);
    if (version != null) {
      builder.setVersion(version);
    }
    schemaUrl = emptyToNull(schemaUrl);
    if (schemaUrl != null) {
      builder.setSchemaUrl(schemaUrl);
    }
    if (attributes != null) {
      builder.setAttributes(attributes.build());
    }
    InstrumentationScopeInfo scope = builder.build();
    r.pos(start);
    while (r.pos() < end) {
      int tag = r.readTag(end, "ScopeSpans");
      if ((tag >>> 3) == OtlpFields.SCOPE_SPANS_SPANS) {
        int len = r.readLength(end, "ScopeSpans.spans");
        int stop = r.pos() + len;
        out.add(span(r, stop, resource, scope));
        r.pos(stop);
      } else {
        r.skip(tag, end, "ScopeSpans");
      }
    }
  }

  private static SpanData span(
      WireReader r, int end, Resource resource, InstrumentationScopeInfo scope)
      throws MalformedPayloadException {
    byte[] buf = r.buffer();
    int traceIdAt = -1;
    int spanIdAt = -1;
    int parentIdAt = -1;
    String traceState = "";
    String name = "";
    int kind = 0;
    long start = 0;
    long endTime = 0;
    AttributesBuilder attributes = null;
    long droppedAttributes = 0;
    List<EventData> events = null;
    long droppedEvents = 0;
    List<LinkData> links = null;
    long droppedLinks = 0;
    String statusMessage = "";
    int statusCode = 0;
    int flags = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span");
      switch (tag >>> 3) {
        case OtlpFields.SPAN_TRACE_ID:
          traceIdAt = id(r, end, "Span.trace_id");
          break;
        case OtlpFields.SPAN_SPAN_ID:
          spanIdAt = id(r, end, "Span.span_id");
          break;
        case OtlpFields.SPAN_TRACE_STATE:
          traceState = string(r, end, "Span.trace_state");
          break;
        case OtlpFields.SPAN_PARENT_SPAN_ID:
          parentIdAt = id(r, end, "Span.parent_span_id");
          break;
        case OtlpFields.SPAN_NAME:
          name = string(r, end, "Span.name");
          break;
        case OtlpFields.SPAN_KIND:
          kind = (int) r.readVarint(end, "Span.kind");
          break;
        case OtlpFields.SPAN_START_TIME:
          start = r.readFixed64(end, "Span.start_time_unix_nano");
          break;
        case OtlpFields.SPAN_END_TIME:
          endTime = r.readFixed64(end, "Span.end_time_unix_nano");
          break;
        case OtlpFields.SPAN_ATTRIBUTES:
          attributes = keyValue(r, end, attributes);
          break;
        case OtlpFields.SPAN_DROPPED_ATTRIBUTES_COUNT:
          droppedAttributes = r.readVarint(end, "Span.dropped_attributes_count");
          break;
        case OtlpFields.SPAN_EVENTS:
          {
            int len = r.readLength(end, "Span.events");
            if (events == null) {
              events = new ArrayList<>(2);
            }
            events.add(event(r, r.pos() + len));
            break;
          }
        case OtlpFields.SPAN_DROPPED_EVENTS_COUNT:
          droppedEvents = r.readVarint(end, "Span.dropped_events_count");
          break;
        case OtlpFields.SPAN_LINKS:
          {
            int len = r.readLength(end, "Span.links");
            if (links == null) {
              links = new ArrayList<>(2);
            }
            links.add(link(r, r.pos() + len));
            break;
          }
        case OtlpFields.SPAN_DROPPED_LINKS_COUNT:
          droppedLinks = r.readVarint(end, "Span.dropped_links_count");
          break;
        case OtlpFields.SPAN_STATUS:
          {
            int len = r.readLength(end, "Span.status");
            int stop = r.pos() + len;
            while (r.pos() < stop) {
              int statusTag = r.readTag(stop, "Status");
              int field = statusTag >>> 3;
              if (field == OtlpFields.STATUS_MESSAGE) {
                statusMessage = string(r, stop, "Status.message");
              } else if (field == OtlpFields.STATUS_CODE) {
                statusCode = (int) r.readVarint(stop, "Status.code");
              } else {
                r.skip(statusTag, stop, "Status");
              }
            }
            break;
          }
        case OtlpFields.SPAN_FLAGS:
          flags = r.readFixed32(end, "Span.flags");
          break;
        default:
          r.skip(tag, end, "Span");
      }
    }
    String traceId = traceIdAt >= 0 ? hex(buf, traceIdAt, 16) : TraceId.getInvalid();
    String spanId = spanIdAt >= 0 ? hex(buf, spanIdAt, 8) : SpanId.getInvalid();
    TraceFlags traceFlags = TraceFlags.fromByte((byte) (flags & OtlpFields.FLAGS_TRACE_FLAGS_MASK));
    TraceState state = traceState(traceState);
    SpanContext context = SpanContext.create(traceId, spanId, traceFlags, state);
    SpanContext parent = SpanContext.getInvalid();
    if (parentIdAt >= 0) {
      String parentId = hex(buf, parentIdAt, 8);
      SpanContext decoded =
          isRemote(flags)
              ? SpanContext.createFromRemoteParent(traceId, parentId, traceFlags, state)
              : SpanContext.create(traceId, parentId, traceFlags, state);
      // An all-zero parent id or trace id is no parent: use the one invalid context, as the SDK.
      if (decoded.isValid()) {
        parent = decoded;
      }
    }
    Attributes attrs = attributes == null ? Attributes.empty() : attributes.build();
    List<EventData> eventList = events == null ? Collections.emptyList() : immutable(events);
    List<LinkData> linkList = links == null ? Collections.emptyList() : immutable(links);
    return new DecodedSpanData(
        resource,
        scope,
        name,
        kind >= 0 && kind < KINDS.length ? KINDS[kind] : SpanKind.INTERNAL,
        context,
        parent,
        StatusData.create(statusCode(statusCode), statusMessage),
        start,
        endTime,
        attrs,
        saturatedTotal(attrs.size(), droppedAttributes),
        eventList,
        saturatedTotal(eventList.size(), droppedEvents),
        linkList,
        saturatedTotal(linkList.size(), droppedLinks));
  }

  private static EventData event(WireReader r, int end) throws MalformedPayloadException {
    long time = 0;
    String name = "";
    AttributesBuilder attributes = null;
    long dropped = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span.Event");
      switch (tag >>> 3) {
        case OtlpFields.EVENT_TIME:
          time = r.readFixed64(end, "Span.Event.time_unix_nano");
          break;
        case OtlpFields.EVENT_NAME:
          name = string(r, end, "Span.Event.name");
          break;
        case OtlpFields.EVENT_ATTRIBUTES:
          attributes = keyValue(r, end, attributes);
          break;
        case OtlpFields.EVENT_DROPPED_ATTRIBUTES_COUNT:
          dropped = r.readVarint(end, "Span.Event.dropped_attributes_count");
          break;
        default:
          r.skip(tag, end, "Span.Event");
      }
    }
    Attributes attrs = attributes == null ? Attributes.empty() : attributes.build();
    return EventData.create(time, name, attrs, saturatedTotal(attrs.size(), dropped));
  }

  private static LinkData link(WireReader r, int end) throws MalformedPayloadException {
    byte[] buf = r.buffer();
    int traceIdAt = -1;
    int spanIdAt = -1;
    String traceState = "";
    AttributesBuilder attributes = null;
    long dropped = 0;
    int flags = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span.Link");
      switch (tag >>> 3) {
        case OtlpFields.LINK_TRACE_ID:
          traceIdAt = id(r, end, "Span.Link.trace_id");
          break;
        case OtlpFields.LINK_SPAN_ID:
          spanIdAt = id(r, end, "Span.Link.span_id");
          break;
        case OtlpFields.LINK_TRACE_STATE:
          traceState = string(r, end, "Span.Link.trace_state");
          break;
        case OtlpFields.LINK_ATTRIBUTES:
          attributes = keyValue(r, end, attributes);
          break;
        case OtlpFields.LINK_DROPPED_ATTRIBUTES_COUNT:
          dropped = r.readVarint(end, "Span.Link.dropped_attributes_count");
          break;
        case OtlpFields.LINK_FLAGS:
          flags = r.readFixed32(end, "Span.Link.flags");
          break;
        default:
          r.skip(tag, end, "Span.Link");
      }
    }
    String traceId = traceIdAt >= 0 ? hex(buf, traceIdAt, 16) : TraceId.getInvalid();
    String spanId = spanIdAt >= 0 ? hex(buf, spanIdAt, 8) : SpanId.getInvalid();
    TraceFlags traceFlags = TraceFlags.fromByte((byte) (flags & OtlpFields.FLAGS_TRACE_FLAGS_MASK));
    TraceState state = traceState(traceState);
    SpanContext context =
        isRemote(flags)
            ? SpanContext.createFromRemoteParent(traceId, spanId, traceFlags, state)
            : SpanContext.create(traceId, spanId, traceFlags, state);
    Attributes attrs = attributes == null ? Attributes.empty() : attributes.build();
    return LinkData.create(context, attrs, saturatedTotal(attrs.size(), dropped));
  }

  /** Reads one length-delimited KeyValue field into {@code builder} (created when null). */
  private static AttributesBuilder keyValue(WireReader r, int end, AttributesBuilder builder)
      throws MalformedPayloadException {
    int len = r.readLength(end, "KeyValue");
    int stop = r.pos() + len;
    String key = "";
    int valueStart = -1;
    int valueEnd = -1;
    while (r.pos() < stop) {
      int tag = r.readTag(stop, "KeyValue");
      int field = tag >>> 3;
      if (field == OtlpFields.KEY_VALUE_KEY) {
        key = string(r, stop, "KeyValue.key");
      } else if (field == OtlpFields.KEY_VALUE_VALUE) {
        int valueLen = r.readLength(stop, "KeyValue.value");
        valueStart = r.pos();
        valueEnd = valueStart + valueLen;
        r.pos(valueEnd);
      } else {
        r.skip(tag, stop, "KeyValue");
      }
    }
    if (builder == null) {
      builder = Attributes.builder();
    }
    if (valueStart < 0) {
      builder.put(AttributeKey.valueKey(key), Value.empty());
    } else {
      r.pos(valueStart);
      putAnyValue(r, valueEnd, key, builder);
    }
    r.pos(stop);
    return builder;
  }

  private static void putAnyValue(WireReader r, int end, String key, AttributesBuilder builder)
      throws MalformedPayloadException {
    // Scalars go straight into the builder; anything else is built as a Value (the SDK turns a
    // homogeneous array Value into the matching typed array attribute).
    int field = 0;
    int at = -1;
    int tagAt = -1;
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "AnyValue");
      int f = tag >>> 3;
      if (f >= OtlpFields.ANY_STRING && f <= OtlpFields.ANY_BYTES) {
        field = f;
        tagAt = fieldStart;
        at = r.pos();
      }
      r.skip(tag, end, "AnyValue");
    }
    switch (field) {
      case OtlpFields.ANY_STRING:
        r.pos(at);
        builder.put(key, string(r, end, "AnyValue.string_value"));
        return;
      case OtlpFields.ANY_BOOL:
        r.pos(at);
        builder.put(key, r.readVarint(end, "AnyValue.bool_value") != 0);
        return;
      case OtlpFields.ANY_INT:
        r.pos(at);
        builder.put(key, r.readVarint(end, "AnyValue.int_value"));
        return;
      case OtlpFields.ANY_DOUBLE:
        r.pos(at);
        builder.put(key, Double.longBitsToDouble(r.readFixed64(end, "AnyValue.double_value")));
        return;
      case OtlpFields.ANY_ARRAY:
        {
          r.pos(at);
          int len = r.readLength(end, "AnyValue.array_value");
          if (len == 0 || isEmptyList(r, r.pos() + len)) {
            builder.put(AttributeKey.stringArrayKey(key), Collections.emptyList());
            return;
          }
          r.pos(tagAt);
          builder.put(AttributeKey.valueKey(key), value(r, end));
          return;
        }
      default:
        r.pos(tagAt < 0 ? end : tagAt);
        builder.put(AttributeKey.valueKey(key), value(r, end));
    }
  }

  private static boolean isEmptyList(WireReader r, int end) throws MalformedPayloadException {
    int start = r.pos();
    try {
      while (r.pos() < end) {
        int tag = r.readTag(end, "ArrayValue");
        if ((tag >>> 3) == OtlpFields.LIST_VALUES) {
          return false;
        }
        r.skip(tag, end, "ArrayValue");
      }
      return true;
    } finally {
      r.pos(start);
    }
  }

  /** Decodes the AnyValue body in [pos, end) into a {@link Value}. */
  private static Value<?> value(WireReader r, int end) throws MalformedPayloadException {
    Value<?> result = Value.empty();
    while (r.pos() < end) {
      int tag = r.readTag(end, "AnyValue");
      switch (tag >>> 3) {
        case OtlpFields.ANY_STRING:
          result = Value.of(string(r, end, "AnyValue.string_value"));
          break;
        case OtlpFields.ANY_BOOL:
          result = Value.of(r.readVarint(end, "AnyValue.bool_value") != 0);
          break;
        case OtlpFields.ANY_INT:
          result = Value.of(r.readVarint(end, "AnyValue.int_value"));
          break;
        case OtlpFields.ANY_DOUBLE:
          result = Value.of(Double.longBitsToDouble(r.readFixed64(end, "AnyValue.double_value")));
          break;
        case OtlpFields.ANY_ARRAY:
          {
            int len = r.readLength(end, "AnyValue.array_value");
            int stop = r.pos() + len;
            List<Value<?>> values = new ArrayList<>();
            while (r.pos() < stop) {
              int t = r.readTag(stop, "ArrayValue");
              if ((t >>> 3) == OtlpFields.LIST_VALUES) {
                int l = r.readLength(stop, "ArrayValue.values");
                int s = r.pos() + l;
                values.add(value(r, s));
                r.pos(s);
              } else {
                r.skip(t, stop, "ArrayValue");
              }
            }
            result = Value.of(values);
            break;
          }
        case OtlpFields.ANY_KVLIST:
          {
            int len = r.readLength(end, "AnyValue.kvlist_value");
            int stop = r.pos() + len;
            List<KeyValue> values = new ArrayList<>();
            while (r.pos() < stop) {
              int t = r.readTag(stop, "KeyValueList");
              if ((t >>> 3) == OtlpFields.LIST_VALUES) {
                int l = r.readLength(stop, "KeyValueList.values");
                int s = r.pos() + l;
                String k = "";
                Value<?> v = Value.empty();
                while (r.pos() < s) {
                  int kt = r.readTag(s, "KeyValue");
                  int kf = kt >>> 3;
                  if (kf == OtlpFields.KEY_VALUE_KEY) {
                    k = string(r, s, "KeyValue.key");
                  } else if (kf == OtlpFields.KEY_VALUE_VALUE) {
                    int vl = r.readLength(s, "KeyValue.value");
                    int vs = r.pos() + vl;
                    v = value(r, vs);
                    r.pos(vs);
                  } else {
                    r.skip(kt, s, "KeyValue");
                  }
                }
                values.add(KeyValue.of(k, v));
              } else {
                r.skip(t, stop, "KeyValueList");
              }
            }
            result = Value.of(values.toArray(new KeyValue[0]));
            break;
          }
        case OtlpFields.ANY_BYTES:
          {
            int len = r.readLength(end, "AnyValue.bytes_value");
            int at = r.pos();
            result = Value.of(Arrays.copyOfRange(r.buffer(), at, at + len));
            r.pos(at + len);
            break;
          }
        default:
          r.skip(tag, end, "AnyValue");
      }
    }
    return result;
  }

  private static String string(WireReader r, int end, String field)
      throws MalformedPayloadException {
    int len = r.readLength(end, field);
    int at = r.pos();
    r.pos(at + len);
    return len == 0 ? "" : new String(r.buffer(), at, len, StandardCharsets.UTF_8);
  }

  /** Returns the position of the id bytes, or -1 for an empty id. */
  private static int id(WireReader r, int end, String field) throws MalformedPayloadException {
    int len = r.readLength(end, field);
    int at = r.pos();
    r.pos(at + len);
    return len == 0 ? -1 : at;
  }

  private static String hex(byte[] buf, int at, int bytes) {
    char[] chars = new char[bytes * 2];
    for (int i = 0; i < bytes; i++) {
      int b = buf[at + i] & 0xFF;
      chars[2 * i] = HEX_DIGITS[b >>> 4];
      chars[2 * i + 1] = HEX_DIGITS[b & 0xF];
    }
    return new String(chars);
  }

  private static boolean isRemote(int flags) {
    int mask = OtlpFields.FLAGS_CONTEXT_HAS_IS_REMOTE | OtlpFields.FLAGS_CONTEXT_IS_REMOTE;
    return (flags & mask) == mask;
  }

  /** Parses the W3C tracestate header form "k1=v1,k2=v2" (list order kept). */
  static TraceState traceState(String header) {
    if (header.isEmpty()) {
      return TraceState.getDefault();
    }
    List<String> members = new ArrayList<>();
    int start = 0;
    int n = header.length();
    while (start <= n) {
      int comma = header.indexOf(',', start);
      if (comma < 0) {
        comma = n;
      }
      String member = header.substring(start, comma).trim();
      if (!member.isEmpty()) {
        members.add(member);
      }
      start = comma + 1;
    }
    TraceStateBuilder builder = TraceState.builder();
    // put() places a key first, so add the members from last to first to keep their order.
    for (int i = members.size() - 1; i >= 0; i--) {
      String member = members.get(i);
      int eq = member.indexOf('=');
      if (eq > 0) {
        builder.put(member.substring(0, eq), member.substring(eq + 1));
      }
    }
    return builder.build();
  }

  private static StatusCode statusCode(int code) {
    switch (code) {
      case 1:
        return StatusCode.OK;
      case 2:
        return StatusCode.ERROR;
      default:
        return StatusCode.UNSET;
    }
  }

  private static int saturatedTotal(int recorded, long dropped) {
    long total = recorded + (dropped & 0xFFFFFFFFL);
    return total > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) total;
  }

  /**
   * Drops the attributes whose keys {@link Resource} refuses (it requires printable ASCII keys of
   * at most 255 characters); OTLP itself allows any key.
   */
  private static Attributes resourceAttributes(Attributes attributes) {
    boolean[] invalid = new boolean[1];
    attributes.forEach((k, v) -> invalid[0] |= !isValidResourceKey(k.getKey()));
    if (!invalid[0]) {
      return attributes;
    }
    AttributesBuilder builder = Attributes.builder();
    attributes.forEach(
        (k, v) -> {
          if (isValidResourceKey(k.getKey())) {
            putUnchecked(builder, k, v);
          }
        });
    return builder.build();
  }

  @SuppressWarnings("unchecked")
  private static <T> void putUnchecked(
      AttributesBuilder builder, AttributeKey<T> key, Object value) {
    builder.put(key, (T) value);
  }

  private static boolean isValidResourceKey(String key) {
    if (key.isEmpty() || key.length() > 255) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        return false;
      }
    }
    return true;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static <T> List<T> immutable(List<T> list) {
    return Collections.unmodifiableList(list);
  }
}
