package dev.spantransport.benchmarks;

import com.google.protobuf.ByteString;
import dev.spantransport.codec.internal.ImmutableSpanData;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Straightforward SpanData to protobuf-java conversion and back: the "protobuf-java" contender, as
 * an application would write it with the generated builders.
 */
final class ProtoConversion {
  private ProtoConversion() {}

  static ExportTraceServiceRequest toProto(List<SpanData> spans) {
    Map<io.opentelemetry.sdk.resources.Resource, Map<InstrumentationScopeInfo, List<SpanData>>>
        groups = new IdentityHashMap<>();
    for (SpanData span : spans) {
      groups
          .computeIfAbsent(span.getResource(), r -> new LinkedHashMap<>())
          .computeIfAbsent(span.getInstrumentationScopeInfo(), s -> new ArrayList<>())
          .add(span);
    }
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    groups.forEach(
        (resource, scopes) -> {
          ResourceSpans.Builder rs =
              ResourceSpans.newBuilder()
                  .setResource(
                      Resource.newBuilder().addAllAttributes(keyValues(resource.getAttributes())));
          if (resource.getSchemaUrl() != null) {
            rs.setSchemaUrl(resource.getSchemaUrl());
          }
          scopes.forEach(
              (scope, list) -> {
                InstrumentationScope.Builder is =
                    InstrumentationScope.newBuilder()
                        .setName(scope.getName())
                        .addAllAttributes(keyValues(scope.getAttributes()));
                if (scope.getVersion() != null) {
                  is.setVersion(scope.getVersion());
                }
                ScopeSpans.Builder ss = ScopeSpans.newBuilder().setScope(is);
                if (scope.getSchemaUrl() != null) {
                  ss.setSchemaUrl(scope.getSchemaUrl());
                }
                for (SpanData span : list) {
                  ss.addSpans(span(span));
                }
                rs.addScopeSpans(ss);
              });
          request.addResourceSpans(rs);
        });
    return request.build();
  }

  private static Span span(SpanData span) {
    SpanContext context = span.getSpanContext();
    Span.Builder b =
        Span.newBuilder()
            .setTraceId(ByteString.copyFrom(context.getTraceIdBytes()))
            .setSpanId(ByteString.copyFrom(context.getSpanIdBytes()))
            .setName(span.getName())
            .setKind(Span.SpanKind.forNumber(span.getKind().ordinal() + 1))
            .setStartTimeUnixNano(span.getStartEpochNanos())
            .setEndTimeUnixNano(span.getEndEpochNanos())
            .addAllAttributes(keyValues(span.getAttributes()))
            .setDroppedAttributesCount(span.getTotalAttributeCount() - span.getAttributes().size())
            .setDroppedEventsCount(span.getTotalRecordedEvents() - span.getEvents().size())
            .setDroppedLinksCount(span.getTotalRecordedLinks() - span.getLinks().size())
            .setFlags(
                (context.getTraceFlags().asByte() & 0xFF)
                    | 0x100
                    | (span.getParentSpanContext().isRemote() ? 0x200 : 0));
    if (span.getParentSpanContext().isValid()) {
      b.setParentSpanId(ByteString.copyFrom(span.getParentSpanContext().getSpanIdBytes()));
    }
    for (EventData event : span.getEvents()) {
      b.addEvents(
          Span.Event.newBuilder()
              .setTimeUnixNano(event.getEpochNanos())
              .setName(event.getName())
              .addAllAttributes(keyValues(event.getAttributes())));
    }
    for (LinkData link : span.getLinks()) {
      b.addLinks(
          Span.Link.newBuilder()
              .setTraceId(ByteString.copyFrom(link.getSpanContext().getTraceIdBytes()))
              .setSpanId(ByteString.copyFrom(link.getSpanContext().getSpanIdBytes()))
              .addAllAttributes(keyValues(link.getAttributes())));
    }
    b.setStatus(
        Status.newBuilder()
            .setMessage(span.getStatus().getDescription())
            .setCodeValue(
                span.getStatus().getStatusCode() == StatusCode.OK
                    ? 1
                    : span.getStatus().getStatusCode() == StatusCode.ERROR ? 2 : 0));
    return b.build();
  }

  private static List<KeyValue> keyValues(Attributes attributes) {
    List<KeyValue> result = new ArrayList<>(attributes.size());
    attributes.forEach(
        (key, value) ->
            result.add(
                KeyValue.newBuilder().setKey(key.getKey()).setValue(anyValue(value)).build()));
    return result;
  }

  private static AnyValue anyValue(Object value) {
    if (value instanceof String) {
      return AnyValue.newBuilder().setStringValue((String) value).build();
    } else if (value instanceof Boolean) {
      return AnyValue.newBuilder().setBoolValue((Boolean) value).build();
    } else if (value instanceof Long) {
      return AnyValue.newBuilder().setIntValue((Long) value).build();
    } else if (value instanceof Double) {
      return AnyValue.newBuilder().setDoubleValue((Double) value).build();
    } else if (value instanceof List) {
      ArrayValue.Builder array = ArrayValue.newBuilder();
      for (Object element : (List<?>) value) {
        array.addValues(anyValue(element));
      }
      return AnyValue.newBuilder().setArrayValue(array).build();
    }
    return AnyValue.newBuilder().setStringValue(String.valueOf(value)).build();
  }

  // --- protobuf-java back to SpanData -------------------------------------------------------

  static List<SpanData> toSpanData(ExportTraceServiceRequest request) {
    List<SpanData> result = new ArrayList<>();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      io.opentelemetry.sdk.resources.Resource resource =
          io.opentelemetry.sdk.resources.Resource.create(
              attributes(rs.getResource().getAttributesList()),
              rs.getSchemaUrl().isEmpty() ? null : rs.getSchemaUrl());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        InstrumentationScope s = ss.getScope();
        var builder = InstrumentationScopeInfo.builder(s.getName());
        if (!s.getVersion().isEmpty()) {
          builder.setVersion(s.getVersion());
        }
        if (!ss.getSchemaUrl().isEmpty()) {
          builder.setSchemaUrl(ss.getSchemaUrl());
        }
        builder.setAttributes(attributes(s.getAttributesList()));
        InstrumentationScopeInfo scope = builder.build();
        for (Span span : ss.getSpansList()) {
          result.add(spanData(span, resource, scope));
        }
      }
    }
    return result;
  }

  private static SpanData spanData(
      Span span, io.opentelemetry.sdk.resources.Resource resource, InstrumentationScopeInfo scope) {
    String traceId = hex(span.getTraceId());
    TraceFlags flags = TraceFlags.fromByte((byte) span.getFlags());
    SpanContext context =
        SpanContext.create(traceId, hex(span.getSpanId()), flags, TraceState.getDefault());
    SpanContext parent = SpanContext.getInvalid();
    if (!span.getParentSpanId().isEmpty()) {
      parent =
          (span.getFlags() & 0x300) == 0x300
              ? SpanContext.createFromRemoteParent(
                  traceId, hex(span.getParentSpanId()), flags, TraceState.getDefault())
              : SpanContext.create(
                  traceId, hex(span.getParentSpanId()), flags, TraceState.getDefault());
    }
    List<EventData> events = new ArrayList<>(span.getEventsCount());
    for (Span.Event event : span.getEventsList()) {
      Attributes attributes = attributes(event.getAttributesList());
      events.add(
          EventData.create(
              event.getTimeUnixNano(),
              event.getName(),
              attributes,
              attributes.size() + event.getDroppedAttributesCount()));
    }
    List<LinkData> links = new ArrayList<>(span.getLinksCount());
    for (Span.Link link : span.getLinksList()) {
      Attributes attributes = attributes(link.getAttributesList());
      links.add(
          LinkData.create(
              SpanContext.create(
                  hex(link.getTraceId()),
                  hex(link.getSpanId()),
                  TraceFlags.fromByte((byte) link.getFlags()),
                  TraceState.getDefault()),
              attributes,
              attributes.size() + link.getDroppedAttributesCount()));
    }
    Attributes attributes = attributes(span.getAttributesList());
    return new ImmutableSpanData(
        resource,
        scope,
        span.getName(),
        SpanKind.values()[Math.max(0, span.getKindValue() - 1) % SpanKind.values().length],
        context,
        parent,
        StatusData.create(
            span.getStatus().getCodeValue() == 1
                ? StatusCode.OK
                : span.getStatus().getCodeValue() == 2 ? StatusCode.ERROR : StatusCode.UNSET,
            span.getStatus().getMessage()),
        span.getStartTimeUnixNano(),
        span.getEndTimeUnixNano(),
        attributes,
        attributes.size() + span.getDroppedAttributesCount(),
        Collections.unmodifiableList(events),
        events.size() + span.getDroppedEventsCount(),
        Collections.unmodifiableList(links),
        links.size() + span.getDroppedLinksCount());
  }

  private static Attributes attributes(List<KeyValue> keyValues) {
    AttributesBuilder b = Attributes.builder();
    for (KeyValue kv : keyValues) {
      AnyValue v = kv.getValue();
      switch (v.getValueCase()) {
        case STRING_VALUE:
          b.put(kv.getKey(), v.getStringValue());
          break;
        case BOOL_VALUE:
          b.put(kv.getKey(), v.getBoolValue());
          break;
        case INT_VALUE:
          b.put(kv.getKey(), v.getIntValue());
          break;
        case DOUBLE_VALUE:
          b.put(kv.getKey(), v.getDoubleValue());
          break;
        case ARRAY_VALUE:
          {
            List<String> strings = new ArrayList<>();
            for (AnyValue element : v.getArrayValue().getValuesList()) {
              strings.add(element.getStringValue());
            }
            b.put(AttributeKey.stringArrayKey(kv.getKey()), strings);
            break;
          }
        default:
          break;
      }
    }
    return b.build();
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static String hex(ByteString bytes) {
    char[] chars = new char[bytes.size() * 2];
    for (int i = 0; i < bytes.size(); i++) {
      int b = bytes.byteAt(i) & 0xFF;
      chars[2 * i] = HEX[b >>> 4];
      chars[2 * i + 1] = HEX[b & 0xF];
    }
    return new String(chars);
  }
}
