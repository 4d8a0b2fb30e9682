package dev.spantransport.sink;

import com.google.protobuf.ByteString;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.HashMap;
import java.util.Map;

/** OTLP payloads and batches for sink tests, built with protobuf-java. */
final class Payloads {

  static final Attributes IDENTITY =
      Attributes.builder()
          .put(PeerAttributes.TRANSPORT, "vsock")
          .put(PeerAttributes.CID, 42L)
          .put(PeerAttributes.PORT, 1024L)
          .build();

  static final PeerIdentity PEER = PeerIdentity.create("vsock", IDENTITY);

  private Payloads() {}

  /** A request whose guest tried to claim CID 666 and another socket path. */
  static ExportTraceServiceRequest spoofingRequest(int spans) {
    Resource resource =
        Resource.newBuilder()
            .addAttributes(string("service.name", "checkout"))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("spantransport.peer.cid")
                    .setValue(AnyValue.newBuilder().setIntValue(666)))
            .addAttributes(string("spantransport.peer.socket_path", "/fake"))
            .build();
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = 0; i < spans; i++) {
      byte[] traceId = new byte[16];
      traceId[15] = 1;
      byte[] spanId = new byte[8];
      spanId[7] = (byte) (i + 1);
      scope.addSpans(
          Span.newBuilder()
              .setTraceId(ByteString.copyFrom(traceId))
              .setSpanId(ByteString.copyFrom(spanId))
              .setName("op-" + i)
              .setKind(Span.SpanKind.SPAN_KIND_SERVER)
              .setStartTimeUnixNano(1_000)
              .setEndTimeUnixNano(2_000));
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope))
        .build();
  }

  static SpanBatch batch(byte[] payload, int spans) {
    // Put the payload at an offset to check that sinks honour the view.
    byte[] buffer = new byte[payload.length + 7];
    System.arraycopy(payload, 0, buffer, 5, payload.length);
    return SpanBatch.of(PEER, IDENTITY, "00ff", 1, spans, buffer, 5, payload.length);
  }

  /** Returns the resource attributes of a request's first ResourceSpans as key to value. */
  static Map<String, AnyValue> resourceAttributes(ExportTraceServiceRequest request) {
    Map<String, AnyValue> out = new HashMap<>();
    for (KeyValue kv : request.getResourceSpans(0).getResource().getAttributesList()) {
      if (out.put(kv.getKey(), kv.getValue()) != null) {
        throw new AssertionError("duplicate resource attribute " + kv.getKey());
      }
    }
    return out;
  }

  private static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }
}
