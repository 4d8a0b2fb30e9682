package dev.spantransport.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpTraceSplitterTest {

  private static Span span(long trace, int index) {
    Span.Builder b =
        Span.newBuilder()
            .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(index + 1).array()))
            .setName("op-" + index);
    if (trace != 0) {
      b.setTraceId(ByteString.copyFrom(ByteBuffer.allocate(16).putLong(7).putLong(trace).array()));
    }
    return b.build();
  }

  private static ExportTraceServiceRequest request() {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(
                    Resource.newBuilder()
                        .addAttributes(
                            io.opentelemetry.proto.common.v1.KeyValue.newBuilder().setKey("a")))
                .setSchemaUrl("s1")
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("x"))
                        .addSpans(span(1, 0))
                        .addSpans(span(2, 1))
                        .addSpans(span(0, 2))
                        .addSpans(span(1, 3)))
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("y"))
                        .setSchemaUrl("s2")
                        .addSpans(span(2, 4))))
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(span(1, 5)).addSpans(span(3, 6))))
        .build();
  }

  /**
   * The Collector's split with protobuf-java: per trace, the resources and scopes holding its
   * spans, with their other fields, and the spans in order.
   */
  private static Map<String, ExportTraceServiceRequest> expected(ExportTraceServiceRequest in) {
    Map<String, ExportTraceServiceRequest.Builder> out = new LinkedHashMap<>();
    for (ResourceSpans rs : in.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          byte[] id = span.getTraceId().toByteArray();
          String key = id.length == 0 ? "" : HexFormat.of().formatHex(id);
          ExportTraceServiceRequest.Builder req =
              out.computeIfAbsent(key, k -> ExportTraceServiceRequest.newBuilder());
          ResourceSpans.Builder rsb = null;
          int last = req.getResourceSpansCount() - 1;
          ResourceSpans shell = rs.toBuilder().clearScopeSpans().build();
          if (last >= 0
              && req.getResourceSpans(last).toBuilder().clearScopeSpans().build().equals(shell)
              && req.getResourceSpansBuilder(last).getScopeSpansCount() > 0) {
            rsb = req.getResourceSpansBuilder(last);
          }
          if (rsb == null || !sameResource(rsb, rs, in)) {
            rsb = req.addResourceSpansBuilder().mergeFrom(shell);
          }
          ScopeSpans scopeShell = ss.toBuilder().clearSpans().build();
          int lastScope = rsb.getScopeSpansCount() - 1;
          ScopeSpans.Builder ssb =
              lastScope >= 0 && sameScope(rsb.getScopeSpansBuilder(lastScope), ss, rs)
                  ? rsb.getScopeSpansBuilder(lastScope)
                  : rsb.addScopeSpansBuilder().mergeFrom(scopeShell);
          ssb.addSpans(span);
        }
      }
    }
    Map<String, ExportTraceServiceRequest> built = new LinkedHashMap<>();
    out.forEach((k, v) -> built.put(k, v.build()));
    return built;
  }

  // the test request has no two resources or scopes with equal fields, so fields identify them
  private static boolean sameResource(
      ResourceSpans.Builder b, ResourceSpans rs, ExportTraceServiceRequest in) {
    return b.getResource().equals(rs.getResource()) && b.getSchemaUrl().equals(rs.getSchemaUrl());
  }

  private static boolean sameScope(ScopeSpans.Builder b, ScopeSpans ss, ResourceSpans rs) {
    return b.getScope().equals(ss.getScope()) && b.getSchemaUrl().equals(ss.getSchemaUrl());
  }

  @Test
  void splitsIntoOneRequestPerTraceAsTheCollectorDoes() throws Exception {
    ExportTraceServiceRequest in = request();
    byte[] bytes = in.toByteArray();

    List<OtlpTraceSplitter.Piece> pieces = OtlpTraceSplitter.split(bytes, 0, bytes.length);

    Map<String, ExportTraceServiceRequest> expected = expected(in);
    assertEquals(List.copyOf(expected.keySet()), pieces.stream().map(p -> p.traceIdHex()).toList());
    assertEquals(
        List.of(
            "00000000000000070000000000000001",
            "00000000000000070000000000000002",
            "",
            "00000000000000070000000000000003"),
        pieces.stream().map(p -> p.traceIdHex()).toList());
    for (OtlpTraceSplitter.Piece piece : pieces) {
      assertEquals(
          expected.get(piece.traceIdHex()), ExportTraceServiceRequest.parseFrom(piece.request()));
    }
    assertEquals(List.of(3, 2, 1, 1), pieces.stream().map(p -> p.spanCount()).toList());
  }

  @Test
  void splitWorksOnASliceOfALargerArray() throws Exception {
    byte[] bytes = request().toByteArray();
    byte[] padded = new byte[bytes.length + 10];
    System.arraycopy(bytes, 0, padded, 5, bytes.length);

    List<OtlpTraceSplitter.Piece> pieces = OtlpTraceSplitter.split(padded, 5, bytes.length);

    assertEquals(4, pieces.size());
    assertEquals(
        expected(request()).get(pieces.get(0).traceIdHex()),
        ExportTraceServiceRequest.parseFrom(pieces.get(0).request()));
  }

  @Test
  void requestWithoutSpansGivesNoPieces() throws Exception {
    assertEquals(List.of(), OtlpTraceSplitter.split(new byte[0], 0, 0));
  }

  @Test
  void truncatedRequestIsMalformed() {
    byte[] bytes = request().toByteArray();
    assertThrows(
        MalformedPayloadException.class, () -> OtlpTraceSplitter.split(bytes, 0, bytes.length - 3));
  }
}
