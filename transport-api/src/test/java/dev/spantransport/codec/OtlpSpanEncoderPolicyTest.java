package dev.spantransport.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spantransport.policy.AttributePolicy;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An encoder built with a policy decides per distinct key while it encodes; its bytes must be
 * exactly those of the spans the policy returns, encoded without one.
 */
class OtlpSpanEncoderPolicyTest {

  private static final byte[] SECRET = "sixteen-bytes-at-least!".getBytes(StandardCharsets.UTF_8);

  private static List<AttributePolicy> policies() {
    return List.of(
        AttributePolicy.builder().allowKeys("k1*", "k3*", "k5*", "k7*").build(),
        AttributePolicy.builder().allowKeys("k*").build(), // lets every random key through
        AttributePolicy.builder().denyKeys("k2*", "vendor*").build(),
        AttributePolicy.builder().redactKeys("k0*").build(),
        AttributePolicy.builder().hashKeys(SECRET, "k4*").build(),
        AttributePolicy.builder().setMaxValueLength(5).build(),
        AttributePolicy.builder().setSpanNameRule("[0-9]+", "{n}").build(),
        AttributePolicy.builder()
            .allowKeys("k*", "spantransport.peer.*")
            .denyKeys("k6*")
            .redactKeys("k1*")
            .build());
  }

  @Test
  void writesTheBytesOfTheSpansThePolicyReturnsForEveryKindOfRule() {
    for (AttributePolicy policy : policies()) {
      RandomSpans random = new RandomSpans(300, false);
      OtlpSpanEncoder folded = new OtlpSpanEncoder(policy);
      OtlpSpanEncoder plain = new OtlpSpanEncoder();
      for (int i = 0; i < 150; i++) {
        List<SpanData> batch = random.batch(1 + i % 30, 1 + i % 3, 1 + i % 2);
        byte[] expected = plain.encode(applied(policy, batch));
        assertArrayEquals(expected, folded.encode(batch), policy + ", batch " + i);
      }
    }
  }

  @Test
  void aSpanWithAKeyThePolicyDropsIsWrittenWithoutItAndCountsItAsDropped() throws Exception {
    AttributePolicy policy = AttributePolicy.builder().allowKeys("http.*").build();
    Attributes attributes =
        Attributes.builder().put("http.method", "GET").put("user.email", "a@example.com").build();
    RandomSpans random = new RandomSpans(301, false);
    SpanData span = withAttributes(random.batch(1, 1, 1).get(0), attributes);
    OtlpSpanEncoder folded = new OtlpSpanEncoder(policy);
    // the same key set twice: the second time the key's decision comes from the encoder's cache
    for (int round = 0; round < 2; round++) {
      byte[] bytes = folded.encode(List.of(span));
      SpanData decoded = new OtlpSpanDecoder().decode(bytes, 0, bytes.length).get(0);
      assertEquals(
          Attributes.of(AttributeKey.stringKey("http.method"), "GET"), decoded.getAttributes());
      assertEquals(span.getTotalAttributeCount(), decoded.getTotalAttributeCount());
      assertEquals(
          false,
          new String(bytes, StandardCharsets.ISO_8859_1).contains("a@example.com"),
          "the dropped value never reaches the bytes");
    }
  }

  @Test
  void anAllowAllPolicyEncodesAsNoPolicy() {
    RandomSpans random = new RandomSpans(302, false);
    OtlpSpanEncoder folded = new OtlpSpanEncoder(AttributePolicy.allowAll());
    OtlpSpanEncoder plain = new OtlpSpanEncoder();
    for (int i = 0; i < 20; i++) {
      List<SpanData> batch = random.batch(1 + i, 2, 2);
      assertArrayEquals(plain.encode(batch), folded.encode(batch));
    }
  }

  /**
   * The policy applied span by span, each input resource mapped once (as the folded encoder groups
   * by the input resource and applies the policy to it once per batch).
   */
  private static List<SpanData> applied(AttributePolicy policy, List<SpanData> batch) {
    Map<Resource, Resource> resources = new IdentityHashMap<>();
    List<SpanData> out = new ArrayList<>();
    for (SpanData span : batch) {
      Resource resource = resources.computeIfAbsent(span.getResource(), policy::apply);
      SpanData applied = policy.apply(span);
      out.add(
          new DelegatingSpanData(applied) {
            @Override
            public Resource getResource() {
              return resource;
            }
          });
    }
    return out;
  }

  private static SpanData withAttributes(SpanData span, Attributes attributes) {
    return new DelegatingSpanData(span) {
      @Override
      public Attributes getAttributes() {
        return attributes;
      }

      @Override
      public int getTotalAttributeCount() {
        return attributes.size() + 1;
      }
    };
  }
}
