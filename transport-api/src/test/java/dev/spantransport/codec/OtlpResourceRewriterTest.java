package dev.spantransport.codec;

import static dev.spantransport.codec.SpanComparison.otelBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpResourceRewriterTest {
  private static final Attributes IDENTITY =
      Attributes.builder().put("vsock.cid", 42L).put("host.guest", "vm-7").build();

  private final OtlpResourceRewriter rewriter =
      new OtlpResourceRewriter(IDENTITY, key -> key.startsWith("k1") || key.equals("k3"));

  @Test
  void stripsKeysAppendsIdentityAndCopiesEverythingElse() throws Exception {
    RandomSpans random = new RandomSpans(200, false);
    for (int i = 0; i < 100; i++) {
      List<SpanData> spans = random.batch(20, 5, 3);
      byte[] src = otelBytes(spans);
      int length = rewriter.rewrittenLength(src, 0, src.length);
      byte[] dst = new byte[length + 3];
      assertEquals(length, rewriter.rewrite(src, 0, src.length, dst, 3));
      ExportTraceServiceRequest before = ExportTraceServiceRequest.parseFrom(src);
      ExportTraceServiceRequest after =
          ExportTraceServiceRequest.parser().parseFrom(dst, 3, length);
      assertEquals(before.getResourceSpansCount(), after.getResourceSpansCount());
      for (int r = 0; r < before.getResourceSpansCount(); r++) {
        ResourceSpans b = before.getResourceSpans(r);
        ResourceSpans a = after.getResourceSpans(r);
        assertEquals(b.getScopeSpansList(), a.getScopeSpansList());
        assertEquals(b.getSchemaUrl(), a.getSchemaUrl());
        List<KeyValue> kept =
            b.getResource().getAttributesList().stream()
                .filter(kv -> !kv.getKey().startsWith("k1") && !kv.getKey().equals("k3"))
                .toList();
        List<KeyValue> attributes = a.getResource().getAttributesList();
        assertEquals(kept, attributes.subList(0, kept.size()));
        assertEquals(identity(), attributes.subList(kept.size(), attributes.size()));
      }
    }
  }

  @Test
  void addsAResourceWhereThereIsNone() throws Exception {
    ExportTraceServiceRequest request =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .addScopeSpans(ScopeSpans.newBuilder().addSpans(Span.newBuilder().setName("s")))
                    .setSchemaUrl("https://schema"))
            .build();
    byte[] src = request.toByteArray();
    byte[] dst = new byte[rewriter.rewrittenLength(src, 0, src.length)];
    rewriter.rewrite(src, 0, src.length, dst, 0);
    ResourceSpans rs = ExportTraceServiceRequest.parseFrom(dst).getResourceSpans(0);
    assertEquals(identity(), rs.getResource().getAttributesList());
    assertEquals("s", rs.getScopeSpans(0).getSpans(0).getName());
    assertEquals("https://schema", rs.getSchemaUrl());
  }

  @Test
  void replacesAnAttributeThatClaimsAnIdentityKey() throws Exception {
    ExportTraceServiceRequest request =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(
                ResourceSpans.newBuilder()
                    .setResource(
                        Resource.newBuilder()
                            .addAttributes(kv("vsock.cid", "spoofed"))
                            .addAttributes(kv("service.name", "svc"))
                            .setDroppedAttributesCount(3)))
            .build();
    byte[] src = request.toByteArray();
    byte[] dst = new byte[rewriter.rewrittenLength(src, 0, src.length)];
    rewriter.rewrite(src, 0, src.length, dst, 0);
    Resource resource = ExportTraceServiceRequest.parseFrom(dst).getResourceSpans(0).getResource();
    assertEquals("service.name", resource.getAttributes(0).getKey());
    assertEquals(identity(), resource.getAttributesList().subList(1, 3));
    assertEquals(3, resource.getDroppedAttributesCount());
    assertFalse(resource.toString().contains("spoofed"));
  }

  @Test
  void rejectsMalformedInputAndAShortDestination() throws Exception {
    byte[] src = otelBytes(new RandomSpans(201, false).batch(3, 1, 1));
    assertThrows(
        MalformedPayloadException.class,
        () -> rewriter.rewrite(src, 0, src.length - 1, new byte[src.length * 2], 0));
    assertThrows(
        IndexOutOfBoundsException.class,
        () -> rewriter.rewrite(src, 0, src.length, new byte[10], 0));
  }

  private static List<KeyValue> identity() {
    return List.of(
        KeyValue.newBuilder()
            .setKey("host.guest")
            .setValue(AnyValue.newBuilder().setStringValue("vm-7"))
            .build(),
        KeyValue.newBuilder()
            .setKey("vsock.cid")
            .setValue(AnyValue.newBuilder().setIntValue(42))
            .build());
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }
}
