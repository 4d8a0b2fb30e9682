package dev.spantransport.codec;

import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED32;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED64;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_LENGTH_DELIMITED;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_VARINT;

import dev.spantransport.codec.internal.DecodeCache;
import dev.spantransport.codec.internal.ImmutableSpanData;
import dev.spantransport.codec.internal.OtlpFields;
import dev.spantransport.codec.internal.OtlpValidator;
import dev.spantransport.codec.internal.ProtoWire;
import dev.spantransport.codec.internal.WireReader;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
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
 * <p>Decoding checks the payload as it goes (framing, wire types of known fields, id sizes, nesting
 * depth) with exactly the checks of {@link #countSpans}, and no length read from the payload is
 * used before it is checked against the bytes left. A malformed or truncated payload fails with a
 * {@link MalformedPayloadException} that names the first fault in payload order, and no spans are
 * returned. Unknown fields are skipped by wire type.
 *
 * <p>Spans of one {@code ResourceSpans} share one {@link Resource}; spans of one {@code ScopeSpans}
 * share one {@link InstrumentationScopeInfo}. What OTLP does not carry is filled in as follows: a
 * parent context takes the span's trace flags and trace state; an empty attribute array becomes an
 * empty {@code STRING_ARRAY}; an empty schema URL or scope version becomes {@code null}; a resource
 * attribute whose key {@link Resource} refuses (not printable ASCII, or longer than 255 characters)
 * is dropped. Invalid UTF-8 in strings is replaced with U+FFFD rather than rejected.
 *
 * <p>A decoder keeps small bounded caches of attribute keys and short strings it has decoded, so
 * spans of successive batches share them; the caches never grow and hold only immutable values.
 * Consecutive spans with the same trace id share one trace-id string. A decoder is thread-safe.
 */
public final class OtlpSpanDecoder {
  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final SpanKind[] KINDS = {
    SpanKind.INTERNAL,
    SpanKind.INTERNAL,
    SpanKind.SERVER,
    SpanKind.CLIENT,
    SpanKind.PRODUCER,
    SpanKind.CONSUMER
  };

  private static final int KEY_TAG = OtlpFields.KEY_VALUE_KEY << 3 | WIRETYPE_LENGTH_DELIMITED;
  private static final int VALUE_TAG = OtlpFields.KEY_VALUE_VALUE << 3 | WIRETYPE_LENGTH_DELIMITED;
  private static final int ANY_STRING_TAG = OtlpFields.ANY_STRING << 3 | WIRETYPE_LENGTH_DELIMITED;
  private static final int ANY_BOOL_TAG = OtlpFields.ANY_BOOL << 3 | WIRETYPE_VARINT;
  private static final int ANY_INT_TAG = OtlpFields.ANY_INT << 3 | WIRETYPE_VARINT;
  private static final int ANY_DOUBLE_TAG = OtlpFields.ANY_DOUBLE << 3 | WIRETYPE_FIXED64;

  private final DecodeCache cache = new DecodeCache();

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
    Pass pass = new Pass(buffer, offset, cache);
    try {
      return pass.request(offset + length);
    } catch (MalformedPayloadException e) {
      // The single pass checks everything the validator checks, but it visits the fields of a
      // ResourceSpans in a different order; the validator names the first fault in payload order.
      OtlpValidator.countSpans(buffer, offset, length);
      throw e;
    } catch (RuntimeException e) {
      OtlpValidator.countSpans(buffer, offset, length);
      // Not expected for a payload that validates; keep the promised exception type anyway.
      WireReader r = pass.r;
      throw new MalformedPayloadException(
          "payload could not be decoded: " + e, r.offset(r.pos()), e);
    }
  }

  @Override
  public String toString() {
    return "OtlpSpanDecoder{}";
  }

  /** The state of one decode call: the reader, scratch space and the last trace id seen. */
  private static final class Pass {
    final WireReader r;
    final byte[] buf;
    final DecodeCache cache;
    final byte[] hexScratch = new byte[32];
    int lastTraceIdAt = -1;
    String lastTraceId;

    Pass(byte[] buf, int base, DecodeCache cache) {
      this.r = new WireReader(buf, base);
      this.buf = buf;
      this.cache = cache;
    }

    List<SpanData> request(int end) throws MalformedPayloadException {
      List<SpanData> spans = new ArrayList<>();
      while (r.pos() < end) {
        int tag = r.readTag(end, "ExportTraceServiceRequest");
        if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS) {
          r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ExportTraceServiceRequest.resource_spans");
          int len = r.readLength(end, "ExportTraceServiceRequest.resource_spans");
          int stop = r.pos() + len;
          resourceSpans(stop, spans);
          r.pos(stop);
        } else {
          r.skip(tag, end, "ExportTraceServiceRequest");
        }
      }
      return spans;
    }

    private void resourceSpans(int end, List<SpanData> out) throws MalformedPayloadException {
      // First the top-level fields only (the schema URL comes after the spans in canonical
      // order), then the resource, then the spans.
      int start = r.pos();
      AttributesBuilder builder = null;
      String schemaUrl = null;
      while (r.pos() < end) {
        int tag = r.readTag(end, "ResourceSpans");
        switch (tag >>> 3) {
          case OtlpFields.RESOURCE_SPANS_RESOURCE:
            {
              // Decoded where it stands: a message field that occurs twice is merged, as protobuf
              // does, and every occurrence is checked.
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ResourceSpans.resource");
              int len = r.readLength(end, "ResourceSpans.resource");
              builder = resource(r.pos() + len, builder);
              break;
            }
          case OtlpFields.RESOURCE_SPANS_SCOPE_SPANS:
            {
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ResourceSpans.scope_spans");
              int len = r.readLength(end, "ResourceSpans.scope_spans");
              r.pos(r.pos() + len);
              break;
            }
          case OtlpFields.RESOURCE_SPANS_SCHEMA_URL:
            schemaUrl = string(tag, end, "ResourceSpans.schema_url");
            break;
          default:
            r.skip(tag, end, "ResourceSpans");
        }
      }
      Attributes attributes = builder == null ? Attributes.empty() : builder.build();
      Resource resource = Resource.create(resourceAttributes(attributes), emptyToNull(schemaUrl));
      r.pos(start);
      while (r.pos() < end) {
        int tag = r.readTag(end, "ResourceSpans");
        if ((tag >>> 3) == OtlpFields.RESOURCE_SPANS_SCOPE_SPANS) {
          int len = r.readLength(end, "ResourceSpans.scope_spans");
          int stop = r.pos() + len;
          scopeSpans(stop, resource, out);
          r.pos(stop);
        } else {
          r.skip(tag, end, "ResourceSpans");
        }
      }
    }

    /** Decodes one {@code Resource} occurrence up to {@code end}, adding to {@code builder}. */
    private AttributesBuilder resource(int end, AttributesBuilder builder)
        throws MalformedPayloadException {
      while (r.pos() < end) {
        int tag = r.readTag(end, "Resource");
        switch (tag >>> 3) {
          case OtlpFields.RESOURCE_ATTRIBUTES:
            builder = keyValue(tag, end, "Resource.attributes", builder);
            break;
          case OtlpFields.RESOURCE_DROPPED_ATTRIBUTES_COUNT:
            varint(tag, end, "Resource.dropped_attributes_count");
            break;
          default:
            r.skip(tag, end, "Resource");
        }
      }
      return builder;
    }

    // The scope being decoded: InstrumentationScope occurrences merge into these.
    private String scopeName;
    private String scopeVersion;
    private AttributesBuilder scopeAttributes;

    /** Decodes one {@code InstrumentationScope} occurrence up to {@code end}. */
    private void scope(int end) throws MalformedPayloadException {
      while (r.pos() < end) {
        int tag = r.readTag(end, "InstrumentationScope");
        switch (tag >>> 3) {
          case OtlpFields.SCOPE_NAME:
            scopeName = string(tag, end, "InstrumentationScope.name");
            break;
          case OtlpFields.SCOPE_VERSION:
            scopeVersion = string(tag, end, "InstrumentationScope.version");
            break;
          case OtlpFields.SCOPE_ATTRIBUTES:
            scopeAttributes =
                keyValue(tag, end, "InstrumentationScope.attributes", scopeAttributes);
            break;
          case OtlpFields.SCOPE_DROPPED_ATTRIBUTES_COUNT:
            varint(tag, end, "InstrumentationScope.dropped_attributes_count");
            break;
          default:
            r.skip(tag, end, "InstrumentationScope");
        }
      }
    }

    private void scopeSpans(int end, Resource resource, List<SpanData> out)
        throws MalformedPayloadException {
      int start = r.pos();
      scopeName = "";
      scopeVersion = null;
      scopeAttributes = null;
      String schemaUrl = null;
      while (r.pos() < end) {
        int tag = r.readTag(end, "ScopeSpans");
        switch (tag >>> 3) {
          case OtlpFields.SCOPE_SPANS_SCOPE:
            {
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ScopeSpans.scope");
              int len = r.readLength(end, "ScopeSpans.scope");
              scope(r.pos() + len);
              break;
            }
          case OtlpFields.SCOPE_SPANS_SPANS:
            {
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "ScopeSpans.spans");
              int len = r.readLength(end, "ScopeSpans.spans");
              r.pos(r.pos() + len);
              break;
            }
          case OtlpFields.SCOPE_SPANS_SCHEMA_URL:
            schemaUrl = string(tag, end, "ScopeSpans.schema_url");
            break;
          default:
            r.skip(tag, end, "ScopeSpans");
        }
      }
      AttributesBuilder attributes = scopeAttributes;
      InstrumentationScopeInfoBuilder builder = InstrumentationScopeInfo.builder(scopeName);
      String version = emptyToNull(scopeVersion);
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
          out.add(span(stop, resource, scope));
          r.pos(stop);
        } else {
          r.skip(tag, end, "ScopeSpans");
        }
      }
    }

    private SpanData span(int end, Resource resource, InstrumentationScopeInfo scope)
        throws MalformedPayloadException {
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
      EventData firstEvent = null;
      List<EventData> events = null;
      long droppedEvents = 0;
      LinkData firstLink = null;
      List<LinkData> links = null;
      long droppedLinks = 0;
      String statusMessage = "";
      int statusCode = 0;
      int flags = 0;
      while (r.pos() < end) {
        int tag = r.readTag(end, "Span");
        switch (tag >>> 3) {
          case OtlpFields.SPAN_TRACE_ID:
            traceIdAt = id(tag, end, "Span.trace_id", 16);
            break;
          case OtlpFields.SPAN_SPAN_ID:
            spanIdAt = id(tag, end, "Span.span_id", 8);
            break;
          case OtlpFields.SPAN_TRACE_STATE:
            traceState = string(tag, end, "Span.trace_state");
            break;
          case OtlpFields.SPAN_PARENT_SPAN_ID:
            parentIdAt = id(tag, end, "Span.parent_span_id", 8);
            break;
          case OtlpFields.SPAN_NAME:
            name = string(tag, end, "Span.name");
            break;
          case OtlpFields.SPAN_KIND:
            kind = (int) varint(tag, end, "Span.kind");
            break;
          case OtlpFields.SPAN_START_TIME:
            start = fixed64(tag, end, "Span.start_time_unix_nano");
            break;
          case OtlpFields.SPAN_END_TIME:
            endTime = fixed64(tag, end, "Span.end_time_unix_nano");
            break;
          case OtlpFields.SPAN_ATTRIBUTES:
            attributes = keyValue(tag, end, "Span.attributes", attributes);
            break;
          case OtlpFields.SPAN_DROPPED_ATTRIBUTES_COUNT:
            droppedAttributes = varint(tag, end, "Span.dropped_attributes_count");
            break;
          case OtlpFields.SPAN_EVENTS:
            {
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "Span.events");
              int len = r.readLength(end, "Span.events");
              EventData event = event(r.pos() + len);
              if (firstEvent == null) {
                firstEvent = event;
              } else {
                if (events == null) {
                  events = new ArrayList<>(4);
                  events.add(firstEvent);
                }
                events.add(event);
              }
              break;
            }
          case OtlpFields.SPAN_DROPPED_EVENTS_COUNT:
            droppedEvents = varint(tag, end, "Span.dropped_events_count");
            break;
          case OtlpFields.SPAN_LINKS:
            {
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "Span.links");
              int len = r.readLength(end, "Span.links");
              LinkData link = link(r.pos() + len);
              if (firstLink == null) {
                firstLink = link;
              } else {
                if (links == null) {
                  links = new ArrayList<>(4);
                  links.add(firstLink);
                }
                links.add(link);
              }
              break;
            }
          case OtlpFields.SPAN_DROPPED_LINKS_COUNT:
            droppedLinks = varint(tag, end, "Span.dropped_links_count");
            break;
          case OtlpFields.SPAN_STATUS:
            {
              r.expect(tag, WIRETYPE_LENGTH_DELIMITED, "Span.status");
              int len = r.readLength(end, "Span.status");
              int stop = r.pos() + len;
              while (r.pos() < stop) {
                int statusTag = r.readTag(stop, "Status");
                switch (statusTag >>> 3) {
                  case OtlpFields.STATUS_MESSAGE:
                    statusMessage = string(statusTag, stop, "Status.message");
                    break;
                  case OtlpFields.STATUS_CODE:
                    statusCode = (int) varint(statusTag, stop, "Status.code");
                    break;
                  default:
                    r.skip(statusTag, stop, "Status");
                }
              }
              break;
            }
          case OtlpFields.SPAN_FLAGS:
            r.expect(tag, WIRETYPE_FIXED32, "Span.flags");
            flags = r.readFixed32(end, "Span.flags");
            break;
          default:
            r.skip(tag, end, "Span");
        }
      }
      String traceId = traceIdAt >= 0 ? traceId(traceIdAt) : TraceId.getInvalid();
      String spanId = spanIdAt >= 0 ? hex(spanIdAt, 8) : SpanId.getInvalid();
      TraceFlags traceFlags =
          TraceFlags.fromByte((byte) (flags & OtlpFields.FLAGS_TRACE_FLAGS_MASK));
      TraceState state = traceState(traceState);
      SpanContext context = SpanContext.create(traceId, spanId, traceFlags, state);
      SpanContext parent = SpanContext.getInvalid();
      // An all-zero parent id or trace id is no parent, and neither is the parent of a span whose
      // own context is invalid (its ids are zeroed): use the one invalid context, as the SDK does.
      if (parentIdAt >= 0 && context.isValid()) {
        String parentId = hex(parentIdAt, 8);
        SpanContext decoded =
            isRemote(flags)
                ? SpanContext.createFromRemoteParent(traceId, parentId, traceFlags, state)
                : SpanContext.create(traceId, parentId, traceFlags, state);
        if (decoded.isValid()) {
          parent = decoded;
        }
      }
      Attributes attrs = attributes == null ? Attributes.empty() : attributes.build();
      List<EventData> eventList = immutable(firstEvent, events);
      List<LinkData> linkList = immutable(firstLink, links);
      return new ImmutableSpanData(
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

    private EventData event(int end) throws MalformedPayloadException {
      long time = 0;
      String name = "";
      AttributesBuilder attributes = null;
      long dropped = 0;
      while (r.pos() < end) {
        int tag = r.readTag(end, "Span.Event");
        switch (tag >>> 3) {
          case OtlpFields.EVENT_TIME:
            time = fixed64(tag, end, "Span.Event.time_unix_nano");
            break;
          case OtlpFields.EVENT_NAME:
            name = string(tag, end, "Span.Event.name");
            break;
          case OtlpFields.EVENT_ATTRIBUTES:
            attributes = keyValue(tag, end, "Span.Event.attributes", attributes);
            break;
          case OtlpFields.EVENT_DROPPED_ATTRIBUTES_COUNT:
            dropped = varint(tag, end, "Span.Event.dropped_attributes_count");
            break;
          default:
            r.skip(tag, end, "Span.Event");
        }
      }
      Attributes attrs = attributes == null ? Attributes.empty() : attributes.build();
      return EventData.create(time, name, attrs, saturatedTotal(attrs.size(), dropped));
    }

    private LinkData link(int end) throws MalformedPayloadException {
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
            traceIdAt = id(tag, end, "Span.Link.trace_id", 16);
            break;
          case OtlpFields.LINK_SPAN_ID:
            spanIdAt = id(tag, end, "Span.Link.span_id", 8);
            break;
          case OtlpFields.LINK_TRACE_STATE:
            traceState = string(tag, end, "Span.Link.trace_state");
            break;
          case OtlpFields.LINK_ATTRIBUTES:
            attributes = keyValue(tag, end, "Span.Link.attributes", attributes);
            break;
          case OtlpFields.LINK_DROPPED_ATTRIBUTES_COUNT:
            dropped = varint(tag, end, "Span.Link.dropped_attributes_count");
            break;
          case OtlpFields.LINK_FLAGS:
            r.expect(tag, WIRETYPE_FIXED32, "Span.Link.flags");
            flags = r.readFixed32(end, "Span.Link.flags");
            break;
          default:
            r.skip(tag, end, "Span.Link");
        }
      }
      String traceId = traceIdAt >= 0 ? hex(traceIdAt, 16) : TraceId.getInvalid();
      String spanId = spanIdAt >= 0 ? hex(spanIdAt, 8) : SpanId.getInvalid();
      TraceFlags traceFlags =
          TraceFlags.fromByte((byte) (flags & OtlpFields.FLAGS_TRACE_FLAGS_MASK));
      TraceState state = traceState(traceState);
      SpanContext context =
          isRemote(flags)
              ? SpanContext.createFromRemoteParent(traceId, spanId, traceFlags, state)
              : SpanContext.create(traceId, spanId, traceFlags, state);
      Attributes attrs = attributes == null ? Attributes.empty() : attributes.build();
      return LinkData.create(context, attrs, saturatedTotal(attrs.size(), dropped));
    }

    /** Reads one length-delimited KeyValue field into {@code builder} (created when null). */
    private AttributesBuilder keyValue(int tag, int end, String field, AttributesBuilder builder)
        throws MalformedPayloadException {
      r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
      int len = r.readLength(end, field);
      int stop = r.pos() + len;
      if (builder == null) {
        builder = Attributes.builder();
      }
      if (scalarKeyValue(r.pos(), stop, builder)) {
        r.pos(stop);
        return builder;
      }
      int keyAt = 0;
      int keyLen = 0;
      int valueStart = -1;
      int valueEnd = -1;
      while (r.pos() < stop) {
        int t = r.readTag(stop, "KeyValue");
        switch (t >>> 3) {
          case OtlpFields.KEY_VALUE_KEY:
            r.expect(t, WIRETYPE_LENGTH_DELIMITED, "KeyValue.key");
            keyLen = r.readLength(stop, "KeyValue.key");
            keyAt = r.pos();
            r.pos(keyAt + keyLen);
            break;
          case OtlpFields.KEY_VALUE_VALUE:
            {
              r.expect(t, WIRETYPE_LENGTH_DELIMITED, "KeyValue.value");
              int valueLen = r.readLength(stop, "KeyValue.value");
              valueStart = r.pos();
              valueEnd = valueStart + valueLen;
              // Checked here, in payload order; decoded below from the last value field.
              checkAnyValue(valueEnd);
              break;
            }
          default:
            r.skip(t, stop, "KeyValue");
        }
      }
      if (valueStart < 0) {
        builder.put(valueKey(keyAt, keyLen), Value.empty());
      } else {
        r.pos(valueStart);
        putAnyValue(valueEnd, keyAt, keyLen, builder);
      }
      r.pos(stop);
      return builder;
    }

    /**
     * Decodes the KeyValue body [p, stop) in one read if it has the shape encoders write: the key,
     * then a value holding one string, bool, int or double field, each tag and length in one byte,
     * nothing else. Returns false, having added nothing, for anything else, which then takes the
     * checked path. Everything it accepts passes the checks that path makes.
     */
    private boolean scalarKeyValue(int p, int stop, AttributesBuilder builder) {
      byte[] b = buf;
      if (stop - p < 6 || b[p] != KEY_TAG) {
        return false;
      }
      int keyLen = b[p + 1];
      int keyAt = p + 2;
      int q = keyAt + keyLen;
      // q + 4 <= stop: the value's tag and length, and a scalar's tag and at least one byte.
      if (keyLen < 0 || q > stop - 4 || b[q] != VALUE_TAG || b[q + 1] != stop - q - 2) {
        return false;
      }
      int v = q + 2;
      switch (b[v]) {
        case ANY_STRING_TAG:
          {
            int len = b[v + 1];
            if (len < 0 || len != stop - v - 2) {
              return false;
            }
            builder.put(key(AttributeType.STRING, keyAt, keyLen), cache.string(b, v + 2, len));
            return true;
          }
        case ANY_BOOL_TAG:
          if (stop - v != 2 || b[v + 1] < 0) {
            return false;
          }
          builder.put(key(AttributeType.BOOLEAN, keyAt, keyLen), b[v + 1] != 0);
          return true;
        case ANY_INT_TAG:
          {
            // A varint of at most 10 bytes that ends exactly at stop.
            long value = 0;
            int i = v + 1;
            int limit = Math.min(stop, i + 10);
            for (int shift = 0; i < limit; shift += 7) {
              byte x = b[i++];
              value |= (long) (x & 0x7F) << shift;
              if (x >= 0) {
                if (i != stop) {
                  return false;
                }
                builder.put(key(AttributeType.LONG, keyAt, keyLen), value);
                return true;
              }
            }
            return false;
          }
        case ANY_DOUBLE_TAG:
          if (stop - v != 9) {
            return false;
          }
          builder.put(
              key(AttributeType.DOUBLE, keyAt, keyLen),
              Double.longBitsToDouble(ProtoWire.readFixed64(b, v + 1)));
          return true;
        default:
          return false;
      }
    }

    /**
     * Checks an AnyValue body in [pos, end) as the validator does and leaves the reader at end.
     * Scalars are checked in place; a value holding an array or key-value list is handed to the
     * validator whole.
     */
    private void checkAnyValue(int end) throws MalformedPayloadException {
      int start = r.pos();
      while (r.pos() < end) {
        int tag = r.readTag(end, "AnyValue");
        switch (tag >>> 3) {
          case OtlpFields.ANY_STRING:
            skipBytes(tag, end, "AnyValue.string_value");
            break;
          case OtlpFields.ANY_BOOL:
            varint(tag, end, "AnyValue.bool_value");
            break;
          case OtlpFields.ANY_INT:
            varint(tag, end, "AnyValue.int_value");
            break;
          case OtlpFields.ANY_DOUBLE:
            fixed64(tag, end, "AnyValue.double_value");
            break;
          case OtlpFields.ANY_BYTES:
            skipBytes(tag, end, "AnyValue.bytes_value");
            break;
          case OtlpFields.ANY_ARRAY:
          case OtlpFields.ANY_KVLIST:
            r.pos(start);
            OtlpValidator.anyValue(r, end);
            return;
          default:
            r.skip(tag, end, "AnyValue");
        }
      }
    }

    /** Decodes a checked AnyValue body in [pos, end) into the builder under the key. */
    private void putAnyValue(int end, int keyAt, int keyLen, AttributesBuilder builder)
        throws MalformedPayloadException {
      // Scalars go straight into the builder; anything else is built as a Value (the SDK turns a
      // homogeneous array Value into the matching typed array attribute). The last value field
      // wins.
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
          {
            r.pos(at);
            int len = r.readLength(end, "AnyValue.string_value");
            builder.put(key(AttributeType.STRING, keyAt, keyLen), cache.string(buf, r.pos(), len));
            return;
          }
        case OtlpFields.ANY_BOOL:
          r.pos(at);
          builder.put(
              key(AttributeType.BOOLEAN, keyAt, keyLen),
              r.readVarint(end, "AnyValue.bool_value") != 0);
          return;
        case OtlpFields.ANY_INT:
          r.pos(at);
          builder.put(
              key(AttributeType.LONG, keyAt, keyLen), r.readVarint(end, "AnyValue.int_value"));
          return;
        case OtlpFields.ANY_DOUBLE:
          r.pos(at);
          builder.put(
              key(AttributeType.DOUBLE, keyAt, keyLen),
              Double.longBitsToDouble(r.readFixed64(end, "AnyValue.double_value")));
          return;
        case OtlpFields.ANY_ARRAY:
          {
            r.pos(at);
            int len = r.readLength(end, "AnyValue.array_value");
            if (len == 0 || isEmptyList(r.pos() + len)) {
              builder.put(key(AttributeType.STRING_ARRAY, keyAt, keyLen), Collections.emptyList());
              return;
            }
            r.pos(tagAt);
            builder.put(valueKey(keyAt, keyLen), value(end));
            return;
          }
        default:
          r.pos(tagAt < 0 ? end : tagAt);
          builder.put(valueKey(keyAt, keyLen), value(end));
      }
    }

    @SuppressWarnings("unchecked")
    private <T> AttributeKey<T> key(AttributeType type, int at, int len) {
      return (AttributeKey<T>) cache.key(type, buf, at, len);
    }

    private AttributeKey<Value<?>> valueKey(int at, int len) {
      return key(AttributeType.VALUE, at, len);
    }

    private boolean isEmptyList(int end) throws MalformedPayloadException {
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

    /** Decodes a checked AnyValue body in [pos, end) into a {@link Value}. */
    private Value<?> value(int end) throws MalformedPayloadException {
      Value<?> result = Value.empty();
      while (r.pos() < end) {
        int tag = r.readTag(end, "AnyValue");
        switch (tag >>> 3) {
          case OtlpFields.ANY_STRING:
            result = Value.of(string(tag, end, "AnyValue.string_value"));
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
                  values.add(value(s));
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
                      k = string(kt, s, "KeyValue.key");
                    } else if (kf == OtlpFields.KEY_VALUE_VALUE) {
                      int vl = r.readLength(s, "KeyValue.value");
                      int vs = r.pos() + vl;
                      v = value(vs);
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
              result = Value.of(Arrays.copyOfRange(buf, at, at + len));
              r.pos(at + len);
              break;
            }
          default:
            r.skip(tag, end, "AnyValue");
        }
      }
      return result;
    }

    private String string(int tag, int end, String field) throws MalformedPayloadException {
      r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
      int len = r.readLength(end, field);
      int at = r.pos();
      r.pos(at + len);
      return cache.string(buf, at, len);
    }

    private void skipBytes(int tag, int end, String field) throws MalformedPayloadException {
      r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
      int len = r.readLength(end, field);
      r.pos(r.pos() + len);
    }

    private long varint(int tag, int end, String field) throws MalformedPayloadException {
      r.expect(tag, WIRETYPE_VARINT, field);
      return r.readVarint(end, field);
    }

    private long fixed64(int tag, int end, String field) throws MalformedPayloadException {
      r.expect(tag, WIRETYPE_FIXED64, field);
      return r.readFixed64(end, field);
    }

    /** Returns the position of the id bytes, or -1 for an empty id. */
    private int id(int tag, int end, String field, int size) throws MalformedPayloadException {
      r.expect(tag, WIRETYPE_LENGTH_DELIMITED, field);
      int start = r.pos();
      int len = r.readLength(end, field);
      if (len != 0 && len != size) {
        r.pos(start);
        throw r.malformed(field + " must be empty or " + size + " bytes: " + len);
      }
      int at = r.pos();
      r.pos(at + len);
      return len == 0 ? -1 : at;
    }

    /** The trace id at {@code at}, shared with the previous span when the bytes are equal. */
    private String traceId(int at) {
      int last = lastTraceIdAt;
      if (last >= 0 && Arrays.equals(buf, last, last + 16, buf, at, at + 16)) {
        return lastTraceId;
      }
      String id = hex(at, 16);
      lastTraceIdAt = at;
      lastTraceId = id;
      return id;
    }

    private String hex(int at, int bytes) {
      byte[] out = hexScratch;
      for (int i = 0; i < bytes; i++) {
        int b = buf[at + i];
        out[2 * i] = HEX_DIGITS[(b >>> 4) & 0xF];
        out[2 * i + 1] = HEX_DIGITS[b & 0xF];
      }
      return new String(out, 0, 2 * bytes, StandardCharsets.ISO_8859_1);
    }
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

  /** An immutable list of {@code first} alone, or of {@code rest} when there is more than one. */
  private static <T> List<T> immutable(T first, List<T> rest) {
    if (rest != null) {
      return Collections.unmodifiableList(rest);
    }
    return first == null ? Collections.emptyList() : Collections.singletonList(first);
  }
}
