package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpResourceRewriter;
import dev.spantransport.codec.OtlpSpanDecoder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;

/**
 * Fuzzes {@link OtlpResourceRewriter} with arbitrary bytes. Only {@link MalformedPayloadException}
 * may escape, and exactly when {@link OtlpSpanDecoder#countSpans} rejects the input; the rewritten
 * length is what {@code rewrite} writes; the output holds the same spans, each resource without the
 * stripped keys and with the identity attributes; output that protobuf-java parsed as input it
 * parses as output too.
 */
class OtlpResourceRewriterFuzzTest {

  static final Attributes IDENTITY =
      Attributes.of(
          AttributeKey.longKey("guest.cid"), 3L, AttributeKey.stringKey("guest.name"), "vm-7");
  static final String STRIP_PREFIX = "guest.";

  private static final OtlpResourceRewriter REWRITER =
      new OtlpResourceRewriter(IDENTITY, key -> key.startsWith(STRIP_PREFIX));
  private static final OtlpSpanDecoder DECODER = new OtlpSpanDecoder();

  @FuzzTest(maxDuration = "30s")
  void rewriteKeepsSpansAndStampsIdentity(byte[] payload) throws Exception {
    check(payload);
  }

  static void check(byte[] payload) throws Exception {
    boolean valid;
    try {
      OtlpSpanDecoder.countSpans(payload, 0, payload.length);
      valid = true;
    } catch (MalformedPayloadException e) {
      valid = false;
    }
    int length;
    try {
      length = REWRITER.rewrittenLength(payload, 0, payload.length);
    } catch (MalformedPayloadException e) {
      if (valid) {
        throw new AssertionError("rewrittenLength rejected a payload countSpans accepted", e);
      }
      try {
        REWRITER.rewrite(payload, 0, payload.length, new byte[payload.length + 64], 0);
        throw new AssertionError("rewrite accepted a payload rewrittenLength rejected");
      } catch (MalformedPayloadException expected) {
        return;
      }
    }
    if (!valid) {
      throw new AssertionError("rewrittenLength accepted a payload countSpans rejected");
    }
    byte[] out = new byte[length];
    assertEquals(length, REWRITER.rewrite(payload, 0, payload.length, out, 0), "bytes written");

    List<SpanData> before = DECODER.decode(payload, 0, payload.length);
    List<SpanData> after;
    try {
      after = DECODER.decode(out, 0, out.length);
    } catch (MalformedPayloadException e) {
      throw new AssertionError("rewritten output must parse", e);
    }
    assertEquals(before.size(), after.size(), "span count");
    for (int i = 0; i < before.size(); i++) {
      List<Object> expected = SpanFacts.of(before.get(i));
      List<Object> actual = SpanFacts.of(after.get(i));
      // Index 13 is the resource; everything else is unchanged.
      assertEquals(
          expected.subList(0, 13), actual.subList(0, 13), "span " + i + " apart from resource");
      assertEquals(
          expected.subList(14, expected.size()),
          actual.subList(14, actual.size()),
          "span " + i + " scope");
      assertEquals(
          expectedResourceAttributes(before.get(i).getResource().getAttributes()),
          after.get(i).getResource().getAttributes(),
          "span " + i + " resource attributes");
      assertEquals(
          before.get(i).getResource().getSchemaUrl(),
          after.get(i).getResource().getSchemaUrl(),
          "span " + i + " schema URL");
    }

    boolean protobufParsedInput;
    try {
      ExportTraceServiceRequest.parseFrom(payload);
      protobufParsedInput = true;
    } catch (InvalidProtocolBufferException e) {
      protobufParsedInput = false;
    }
    if (protobufParsedInput) {
      try {
        ExportTraceServiceRequest.parseFrom(out);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError("protobuf-java parsed the input but not the output", e);
      }
    }
  }

  private static Attributes expectedResourceAttributes(Attributes original) {
    AttributesBuilder builder = Attributes.builder();
    original.forEach(
        (key, value) -> {
          if (!key.getKey().startsWith(STRIP_PREFIX)) {
            put(builder, key, value);
          }
        });
    builder.putAll(IDENTITY);
    return builder.build();
  }

  @SuppressWarnings("unchecked")
  private static void put(AttributesBuilder builder, AttributeKey<?> key, Object value) {
    builder.put((AttributeKey<Object>) key, value);
  }
}
