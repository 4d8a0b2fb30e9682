package dev.spantransport.codec;

import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import dev.spantransport.codec.internal.OtlpFields;
import dev.spantransport.codec.internal.ProtoWire;
import dev.spantransport.codec.internal.WireReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits a raw OTLP {@code ExportTraceServiceRequest} into one request per trace id, working on the
 * protobuf bytes: each piece keeps, for every {@code ResourceSpans} and {@code ScopeSpans} that
 * holds spans of its trace, all their other fields (resource, scope, schema URLs) byte for byte,
 * and the trace's spans in their original order. Pieces come in the order their trace first
 * appears.
 *
 * <p>This is what the OpenTelemetry Collector's {@code kafka} exporter does with {@code
 * partition_traces_by_id}: one message per trace, keyed by the trace id as 32 lowercase hex digits,
 * or by the empty string for a span whose trace id is empty or all zeros.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class OtlpTraceSplitter {

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final int SPAN_FIELD_TAG =
      ProtoWire.tag(OtlpFields.SCOPE_SPANS_SPANS, ProtoWire.WIRETYPE_LENGTH_DELIMITED);
  private static final int SCOPE_SPANS_FIELD_TAG =
      ProtoWire.tag(OtlpFields.RESOURCE_SPANS_SCOPE_SPANS, ProtoWire.WIRETYPE_LENGTH_DELIMITED);
  private static final int RESOURCE_SPANS_FIELD_TAG =
      ProtoWire.tag(OtlpFields.REQUEST_RESOURCE_SPANS, ProtoWire.WIRETYPE_LENGTH_DELIMITED);

  /**
   * One trace's share of the request.
   *
   * @param traceIdHex the trace id as 32 lowercase hex digits, or "" for spans without one
   * @param request an {@code ExportTraceServiceRequest} holding just this trace's spans
   * @param spanCount how many spans the piece holds
   */
  public record Piece(String traceIdHex, byte[] request, int spanCount) {}

  private OtlpTraceSplitter() {}

  /**
   * Splits {@code src[offset, offset + length)}.
   *
   * @param src holds the request
   * @param offset where the request starts in {@code src}
   * @param length the request's length in bytes
   * @return one piece per distinct trace id; empty if the request holds no spans
   * @throws MalformedPayloadException if the bytes are not a well-formed request
   */
  public static List<Piece> split(byte[] src, int offset, int length)
      throws MalformedPayloadException {
    List<Container> resources = new ArrayList<>();
    Map<String, List<SpanRef>> traces = new LinkedHashMap<>();
    WireReader r = new WireReader(src, offset);
    int end = offset + length;
    while (r.pos() < end) {
      int tag = r.readTag(end, "ExportTraceServiceRequest");
      if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS
          && (tag & 7) == ProtoWire.WIRETYPE_LENGTH_DELIMITED) {
        int len = r.readLength(end, "ExportTraceServiceRequest.resource_spans");
        int start = r.pos();
        r.pos(start + len);
        readResourceSpans(src, offset, start, start + len, resources, traces);
      } else {
        // no other field is defined in ExportTraceServiceRequest; an unknown one is not kept
        r.skip(tag, end, "ExportTraceServiceRequest");
      }
    }
    List<Piece> pieces = new ArrayList<>(traces.size());
    for (Map.Entry<String, List<SpanRef>> trace : traces.entrySet()) {
      pieces.add(
          new Piece(
              trace.getKey(), write(src, resources, trace.getValue()), trace.getValue().size()));
    }
    return pieces;
  }

  private static void readResourceSpans(
      byte[] src,
      int base,
      int start,
      int end,
      List<Container> resources,
      Map<String, List<SpanRef>> traces)
      throws MalformedPayloadException {
    Container resource = new Container();
    int resourceIndex = resources.size();
    resources.add(resource);
    WireReader r = new WireReader(src, base);
    r.pos(start);
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "ResourceSpans");
      if (tag == SCOPE_SPANS_FIELD_TAG) {
        int len = r.readLength(end, "ResourceSpans.scope_spans");
        int scopeStart = r.pos();
        r.pos(scopeStart + len);
        Container scope = new Container();
        int scopeIndex = resource.children.size();
        resource.children.add(scope);
        readScopeSpans(
            src, base, scopeStart, scopeStart + len, resourceIndex, scopeIndex, scope, traces);
      } else {
        r.skip(tag, end, "ResourceSpans");
        resource.addOther(fieldStart, r.pos());
      }
    }
  }

  private static void readScopeSpans(
      byte[] src,
      int base,
      int start,
      int end,
      int resourceIndex,
      int scopeIndex,
      Container scope,
      Map<String, List<SpanRef>> traces)
      throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "ScopeSpans");
      if (tag == SPAN_FIELD_TAG) {
        int len = r.readLength(end, "ScopeSpans.spans");
        int spanStart = r.pos();
        r.pos(spanStart + len);
        String traceId = traceId(src, base, spanStart, spanStart + len);
        traces
            .computeIfAbsent(traceId, k -> new ArrayList<>())
            .add(new SpanRef(resourceIndex, scopeIndex, fieldStart, spanStart + len));
      } else {
        r.skip(tag, end, "ScopeSpans");
        scope.addOther(fieldStart, r.pos());
      }
    }
  }

  /** The span's trace id as 32 hex digits; "" when absent or all zeros (the Collector's rule). */
  private static String traceId(byte[] src, int base, int start, int end)
      throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    int idStart = -1;
    int idLength = 0;
    while (r.pos() < end) {
      int tag = r.readTag(end, "Span");
      if ((tag >>> 3) == OtlpFields.SPAN_TRACE_ID
          && (tag & 7) == ProtoWire.WIRETYPE_LENGTH_DELIMITED) {
        idLength = r.readLength(end, "Span.trace_id");
        idStart = r.pos(); // the last occurrence wins, as in protobuf
        r.pos(idStart + idLength);
      } else {
        r.skip(tag, end, "Span");
      }
    }
    boolean zero = true;
    for (int i = 0; i < idLength; i++) {
      zero &= src[idStart + i] == 0;
    }
    if (idStart < 0 || zero) {
      return "";
    }
    char[] hex = new char[idLength * 2];
    for (int i = 0; i < idLength; i++) {
      int b = src[idStart + i] & 0xFF;
      hex[2 * i] = HEX[b >>> 4];
      hex[2 * i + 1] = HEX[b & 0xF];
    }
    return new String(hex);
  }

  private static byte[] write(byte[] src, List<Container> resources, List<SpanRef> spans) {
    // sizes first, so every length prefix is known before its body is written
    int total = 0;
    for (int i = 0; i < spans.size(); ) {
      int j = sameResource(spans, i);
      int body = resourceBodySize(resources.get(spans.get(i).resource), spans, i, j);
      total += 1 + varintSize(body) + body;
      i = j;
    }
    byte[] out = new byte[total];
    int p = 0;
    for (int i = 0; i < spans.size(); ) {
      int j = sameResource(spans, i);
      Container resource = resources.get(spans.get(i).resource);
      out[p++] = (byte) RESOURCE_SPANS_FIELD_TAG;
      p = writeVarint(out, p, resourceBodySize(resource, spans, i, j));
      p = resource.copyOthers(src, out, p);
      for (int k = i; k < j; ) {
        int m = sameScope(spans, k, j);
        Container scope = resource.children.get(spans.get(k).scope);
        out[p++] = (byte) SCOPE_SPANS_FIELD_TAG;
        p = writeVarint(out, p, scopeBodySize(scope, spans, k, m));
        p = scope.copyOthers(src, out, p);
        for (int s = k; s < m; s++) {
          SpanRef span = spans.get(s);
          System.arraycopy(src, span.from, out, p, span.to - span.from);
          p += span.to - span.from;
        }
        k = m;
      }
      i = j;
    }
    return out;
  }

  private static int resourceBodySize(Container resource, List<SpanRef> spans, int from, int to) {
    int size = resource.othersSize;
    for (int k = from; k < to; ) {
      int m = sameScope(spans, k, to);
      int body = scopeBodySize(resource.children.get(spans.get(k).scope), spans, k, m);
      size += 1 + varintSize(body) + body;
      k = m;
    }
    return size;
  }

  private static int scopeBodySize(Container scope, List<SpanRef> spans, int from, int to) {
    int size = scope.othersSize;
    for (int s = from; s < to; s++) {
      size += spans.get(s).to - spans.get(s).from;
    }
    return size;
  }

  private static int sameResource(List<SpanRef> spans, int from) {
    int resource = spans.get(from).resource;
    int i = from + 1;
    while (i < spans.size() && spans.get(i).resource == resource) {
      i++;
    }
    return i;
  }

  private static int sameScope(List<SpanRef> spans, int from, int to) {
    int scope = spans.get(from).scope;
    int i = from + 1;
    while (i < to && spans.get(i).scope == scope) {
      i++;
    }
    return i;
  }

  /** A span field (tag, length and body) in the source, and where it sits. */
  private record SpanRef(int resource, int scope, int from, int to) {}

  /** A ResourceSpans or ScopeSpans: its fields other than children, as source ranges. */
  private static final class Container {
    final List<Container> children = new ArrayList<>();
    private final List<int[]> others = new ArrayList<>(2);
    int othersSize;

    void addOther(int from, int to) {
      others.add(new int[] {from, to});
      othersSize += to - from;
    }

    int copyOthers(byte[] src, byte[] dst, int p) {
      for (int[] range : others) {
        System.arraycopy(src, range[0], dst, p, range[1] - range[0]);
        p += range[1] - range[0];
      }
      return p;
    }
  }
}
