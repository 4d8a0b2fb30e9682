package dev.spantransport.sink.kafka;

import com.google.protobuf.ByteString;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;

/** OTLP requests and batches for the Kafka sink's tests, built with protobuf-java. */
final class Requests {

  static final Attributes IDENTITY =
      Attributes.builder()
          .put(PeerAttributes.TRANSPORT, "vsock")
          .put(PeerAttributes.CID, 42L)
          .build();
  static final PeerIdentity PEER = PeerIdentity.create("vsock", IDENTITY);
  static final String SESSION = "0123456789abcdef0123456789abcdef";

  private Requests() {}

  static byte[] traceId(long trace) {
    return ByteBuffer.allocate(16).putLong(0x1122334455667788L).putLong(trace).array();
  }

  static Span span(long trace, long index) {
    return Span.newBuilder()
        .setTraceId(ByteString.copyFrom(traceId(trace)))
        .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(index + 1).array()))
        .setName("op-" + index)
        .setStartTimeUnixNano(1_000 + index)
        .setEndTimeUnixNano(2_000 + index)
        .build();
  }

  static KeyValue string(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  /**
   * Two resources (the first with two scopes); spans of traces 1, 2 and 3 interleaved across them;
   * the first resource claims a forged CID.
   */
  static ExportTraceServiceRequest threeTraces() {
    Resource checkout =
        Resource.newBuilder()
            .addAttributes(string("service.name", "checkout"))
            .addAttributes(string("spantransport.peer.cid", "666"))
            .build();
    Resource cart = Resource.newBuilder().addAttributes(string("service.name", "cart")).build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(checkout)
                .setSchemaUrl("https://opentelemetry.io/schemas/1.30.0")
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("http").setVersion("1"))
                        .addSpans(span(1, 0))
                        .addSpans(span(2, 1))
                        .addSpans(span(1, 2)))
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("db"))
                        .setSchemaUrl("https://opentelemetry.io/schemas/1.29.0")
                        .addSpans(span(3, 3))
                        .addSpans(span(2, 4))))
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(cart)
                .addScopeSpans(
                    ScopeSpans.newBuilder()
                        .setScope(InstrumentationScope.newBuilder().setName("http"))
                        .addSpans(span(1, 5))
                        .addSpans(span(3, 6))))
        .build();
  }

  static SpanBatch batch(byte[] payload, long sequence, int spans) {
    return SpanBatch.of(PEER, IDENTITY, SESSION, sequence, spans, payload, 0, payload.length);
  }

  static SpanBatch batch(ExportTraceServiceRequest request, long sequence) {
    int spans = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        spans += ss.getSpansCount();
      }
    }
    return batch(request.toByteArray(), sequence, spans);
  }
}
