package dev.spantransport.policy;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttributePolicyTest {

  static final byte[] SECRET = "sixteen-bytes-at-least!".getBytes(StandardCharsets.UTF_8);

  @Test
  void attributesThePolicyDoesNotChangeAreReturnedAsTheSameInstance() {
    Attributes a = Attributes.of(stringKey("http.method"), "GET", longKey("http.status"), 200L);
    AttributePolicy policy = AttributePolicy.builder().allowKeys("http.*").build();
    assertSame(a, policy.apply(a));
    assertSame(a, AttributePolicy.allowAll().apply(a));
    Resource r = Resource.create(a);
    assertSame(r, policy.apply(r));
  }

  @Test
  void globsMatchWholeKeysWithStarAcrossDotsAndQuestionMarkForOneCharacter() {
    AttributePolicy policy = AttributePolicy.builder().allowKeys("http.*", "k?").build();
    Attributes in =
        Attributes.builder()
            .put("http.request.header.x", "1")
            .put("http", "2")
            .put("k1", "3")
            .put("k12", "4")
            .put("xhttp.method", "5")
            .build();
    assertEquals(
        Attributes.builder().put("http.request.header.x", "1").put("k1", "3").build(),
        policy.apply(in));
  }

  @Test
  void denyWinsOverAllowAndHashWinsOverRedact() {
    AttributePolicy policy =
        AttributePolicy.builder()
            .allowKeys("*")
            .denyKeys("secret.*")
            .redactKeys("user.*")
            .hashKeys(SECRET, "user.id")
            .build();
    Attributes out =
        policy.apply(
            Attributes.builder()
                .put("secret.token", "t")
                .put("user.name", "alice")
                .put("user.id", 42L)
                .build());
    assertEquals(2, out.size());
    assertEquals("REDACTED", out.get(stringKey("user.name")));
    assertEquals(32, out.get(stringKey("user.id")).length(), "a long value hashes to a string");
  }

  @Test
  void keyedHashIsStableForEqualValuesAndDependsOnTheSecret() {
    AttributePolicy a = AttributePolicy.builder().hashKeys(SECRET, "u").build();
    AttributePolicy b =
        AttributePolicy.builder()
            .hashKeys("another-secret-of-16+".getBytes(StandardCharsets.UTF_8), "u")
            .build();
    Attributes x = Attributes.of(stringKey("u"), "alice");
    assertEquals(a.apply(x), a.apply(Attributes.of(stringKey("u"), "alice")));
    assertFalse(a.apply(x).equals(a.apply(Attributes.of(stringKey("u"), "bob"))));
    assertFalse(a.apply(x).equals(b.apply(x)));
    assertFalse(a.apply(x).get(stringKey("u")).contains("alice"));
  }

  @Test
  void capCutsStringsAndStringArraysWithoutSplittingASurrogatePair() {
    AttributePolicy policy = AttributePolicy.builder().setMaxValueLength(3).build();
    Attributes out =
        policy.apply(
            Attributes.builder()
                .put("s", "ab\uD83D\uDE00cd")
                .put(stringArrayKey("a"), List.of("x", "abcdef"))
                .put("n", 123456L)
                .build());
    assertEquals("ab", out.get(stringKey("s")));
    assertEquals(List.of("x", "abc"), out.get(stringArrayKey("a")));
    assertEquals(123456L, out.get(longKey("n")));
  }

  @Test
  void reservedIdentityKeysAreNeverTouched() {
    AttributePolicy policy =
        AttributePolicy.builder().allowKeys("nothing").redactKeys("*").setMaxValueLength(1).build();
    Attributes in = Attributes.of(stringKey("spantransport.peer.socket_path"), "/run/vm.sock");
    assertSame(in, policy.apply(in));
  }

  @Test
  void manyDistinctKeysAreDecidedCorrectlyPastTheCacheCapacity() {
    AttributePolicy policy = AttributePolicy.builder().denyKeys("drop.*").build();
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 6_000; i++) {
        AttributesBuilder b = Attributes.builder().put("keep." + i, "v").put("drop." + i, "v");
        Attributes out = policy.apply(b.build());
        assertEquals(Attributes.of(stringKey("keep." + i), "v"), out);
      }
    }
  }

  @Test
  void builderRejectsBadRulesNamingTheRuleAndTheValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AttributePolicy.builder().hashKeys(new byte[8], "k"));
    assertEquals("hash secret must be at least 16 bytes: 8 bytes", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> AttributePolicy.builder().setMaxValueLength(0));
    assertEquals("maxValueLength must be at least 1: 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AttributePolicy.builder().denyKeys(" "));
    assertTrue(e.getMessage().startsWith("a key pattern must not be empty"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AttributePolicy.builder().setSpanNameRule("(", "x"));
    assertTrue(e.getMessage().contains("regular expression"), e.getMessage());
  }

  @Test
  void toStringShowsTheRulesButNotTheSecret() {
    String text =
        AttributePolicy.builder()
            .allowKeys("http.*")
            .hashKeys(SECRET, "user.id")
            .build()
            .toString();
    assertTrue(text.contains("allow=[http.*]"), text);
    assertTrue(text.contains("hashSecret=" + SECRET.length + " bytes"), text);
    assertFalse(text.contains("sixteen"), text);
  }
}
