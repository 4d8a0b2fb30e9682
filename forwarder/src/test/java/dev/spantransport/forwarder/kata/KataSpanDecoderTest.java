package dev.spantransport.forwarder.kata;

import static io.opentelemetry.api.common.AttributeKey.booleanArrayKey;
import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleArrayKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longArrayKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KataSpanDecoderTest {

  private final KataSpanDecoder decoder = new KataSpanDecoder("kata-agent");

  static byte[] fixture(String name) throws IOException {
    try (InputStream in = KataSpanDecoderTest.class.getResourceAsStream("/kata/" + name)) {
      assertNotNull(in, name);
      return in.readAllBytes();
    }
  }

  private SpanData decode(String json) throws KataFrameException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    return decoder.decode(bytes, 0, bytes.length);
  }

  private static String root(String field, String value) {
    // The root-span fixture with one field replaced.
    String base =
        "{\"span_context\":{\"trace_id\":1,\"span_id\":2,\"trace_flags\":0,\"is_remote\":false,"
            + "\"trace_state\":null},\"parent_span_id\":0,\"span_kind\":\"Internal\",\"name\":\"r\","
            + "\"start_time\":{\"secs_since_epoch\":0,\"nanos_since_epoch\":1},"
            + "\"end_time\":{\"secs_since_epoch\":0,\"nanos_since_epoch\":2},"
            + "\"attributes\":{\"map\":{},\"evict_list\":[],\"max_len\":128,\"dropped_count\":0},"
            + "\"events\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
            + "\"links\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
            + "\"status_code\":\"Unset\",\"status_message\":\"\",\"resource\":null}";
    if (field == null) {
      return base;
    }
    int at = base.indexOf("\"" + field + "\":");
    assertTrue(at >= 0, field);
    int valueStart = at + field.length() + 3;
    int depth = 0;
    int i = valueStart;
    for (; i < base.length(); i++) {
      char c = base.charAt(i);
      if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (depth == 0) {
          break;
        }
        depth--;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    return base.substring(0, valueStart) + value + base.substring(i);
  }

  @Test
  void decodesEveryFieldOfTheFullFixture() throws Exception {
    byte[] json = fixture("full-span.json");
    SpanData span = decoder.decode(json, 0, json.length);

    // u128 above 2^64 and u64 above 2^63, both read from their digits.
    assertEquals("fedcba98765432100123456789abcdef", span.getTraceId());
    assertEquals("f00dfeedcafebabe", span.getSpanId());
    assertEquals("8000000000000001", span.getParentSpanId());
    assertTrue(span.getParentSpanContext().isValid());
    assertEquals(span.getTraceId(), span.getParentSpanContext().getTraceId());
    assertTrue(span.getSpanContext().isSampled());
    assertFalse(span.getSpanContext().isRemote());
    assertEquals(
        Map.of("vendor1", "alpha", "vendor2", "beta"),
        span.getSpanContext().getTraceState().asMap());
    List<String> order = new ArrayList<>();
    span.getSpanContext().getTraceState().forEach((k, v) -> order.add(k));
    assertEquals(List.of("vendor1", "vendor2"), order, "W3C header order is the deque order");

    assertEquals(SpanKind.SERVER, span.getKind());
    assertEquals("CreateContainer – 容器 ✓", span.getName());
    assertEquals(1_700_000_000_123_456_789L, span.getStartEpochNanos());
    assertEquals(1_700_000_001_000_000_005L, span.getEndEpochNanos());
    assertTrue(span.hasEnded());

    Attributes a = span.getAttributes();
    assertEquals(true, a.get(booleanKey("bool")));
    assertEquals(Long.MIN_VALUE, a.get(longKey("int")));
    assertEquals(2.5, a.get(doubleKey("float")));
    assertTrue(Double.isNaN(a.get(doubleKey("nan"))), "serde_json writes NaN as null");
    assertEquals("héllo", a.get(stringKey("str")));
    assertEquals(List.of(true, false), a.get(booleanArrayKey("bools")));
    assertEquals(List.of(1L, -2L, Long.MAX_VALUE), a.get(longArrayKey("ints")));
    assertEquals(List.of(0.5, -1.0, 3.0), a.get(doubleArrayKey("floats")));
    assertEquals(List.of("a", "ü"), a.get(stringArrayKey("strs")));
    assertEquals(9, a.size());
    assertEquals(12, span.getTotalAttributeCount(), "recorded 9 + dropped 3");

    assertEquals(2, span.getEvents().size());
    assertEquals(4, span.getTotalRecordedEvents(), "recorded 2 + dropped 2");
    EventData started = span.getEvents().get(0);
    assertEquals("exec started", started.getName());
    assertEquals(1_700_000_000_500_000_000L, started.getEpochNanos());
    assertEquals(42L, started.getAttributes().get(longKey("pid")));
    assertEquals(List.of("sh", "-c"), started.getAttributes().get(stringArrayKey("argv")));
    assertEquals(3, started.getTotalAttributeCount());
    assertEquals(1, started.getDroppedAttributesCount());
    assertEquals(Attributes.empty(), span.getEvents().get(1).getAttributes());

    assertEquals(1, span.getLinks().size());
    assertEquals(2, span.getTotalRecordedLinks());
    LinkData link = span.getLinks().get(0);
    assertEquals("00000000000000000000000000000007", link.getSpanContext().getTraceId());
    assertEquals("0000000000000063", link.getSpanContext().getSpanId());
    assertTrue(link.getSpanContext().isRemote());
    assertFalse(link.getSpanContext().isSampled());
    assertEquals("follows", link.getAttributes().get(stringKey("link.kind")));
    assertEquals(5, link.getTotalAttributeCount());

    assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
    assertEquals("container failed: exit 137", span.getStatus().getDescription());

    assertEquals(
        "kata-agent-vm1",
        span.getResource().getAttribute(stringKey("service.name")),
        "the payload's service.name wins over the default");
    assertEquals("x86_64", span.getResource().getAttribute(stringKey("host.arch")));
    assertEquals(1L, span.getResource().getAttribute(longKey("process.pid")));
    assertEquals(InstrumentationScopeInfo.empty(), span.getInstrumentationScopeInfo());
  }

  @Test
  void decodesRootSpanWithNoParentEmptyAttributesAndNullQueues() throws Exception {
    byte[] json = fixture("root-span.json");
    SpanData span = decoder.decode(json, 0, json.length);
    assertFalse(span.getParentSpanContext().isValid(), "parent_span_id 0 means no parent");
    assertEquals(SpanContext.getInvalid(), span.getParentSpanContext());
    assertEquals(Attributes.empty(), span.getAttributes());
    assertEquals(0, span.getTotalAttributeCount());
    assertTrue(span.getEvents().isEmpty());
    assertTrue(span.getLinks().isEmpty());
    assertEquals(0, span.getTotalRecordedEvents());
    assertEquals(StatusCode.UNSET, span.getStatus().getStatusCode());
    assertFalse(span.getSpanContext().isSampled());
    assertEquals(SpanKind.INTERNAL, span.getKind());
    assertEquals(1L, span.getStartEpochNanos());
    assertEquals(
        "kata-agent",
        span.getResource().getAttribute(stringKey("service.name")),
        "a null resource gets the default service name");
  }

  @Test
  void addsDefaultServiceNameToResourceWithoutOneAndIgnoresUnknownFields() throws Exception {
    byte[] json = fixture("ok-status-client.json");
    SpanData span = new KataSpanDecoder("my-vm").decode(json, 0, json.length);
    assertEquals("my-vm", span.getResource().getAttribute(stringKey("service.name")));
    assertEquals("vm1", span.getResource().getAttribute(stringKey("host.name")));
    assertEquals(StatusCode.OK, span.getStatus().getStatusCode());
    assertEquals("", span.getStatus().getDescription(), "a message is ignored unless Error");
    assertEquals(SpanKind.CLIENT, span.getKind());
    assertEquals("00000000000000010000000000000000", span.getTraceId(), "2^64");
    assertEquals("ffffffffffffffff", span.getSpanId(), "2^64 - 1");
    assertTrue(span.getSpanContext().isRemote());
    assertEquals("0000000000000001", span.getParentSpanId());
  }

  @Test
  void acceptsUntaggedValuesAndOlderMessageEventsField() throws Exception {
    byte[] json = fixture("untagged-values.json");
    SpanData span = decoder.decode(json, 0, json.length);
    Attributes a = span.getAttributes();
    assertEquals(false, a.get(booleanKey("b")));
    assertEquals(7L, a.get(longKey("i")));
    assertEquals(1.25, a.get(doubleKey("f")));
    assertEquals("x", a.get(stringKey("s")));
    assertEquals(List.of("p", "q"), a.get(stringArrayKey("sa")));
    assertEquals(List.of(1L, 2L), a.get(longArrayKey("ia")));
    assertEquals(List.of(1.5, 2.0), a.get(doubleArrayKey("fa")));
    assertEquals(List.of(true), a.get(booleanArrayKey("ba")));
    assertEquals(SpanKind.PRODUCER, span.getKind());
    assertEquals("old", span.getEvents().get(0).getName());
    assertEquals("b", span.getEvents().get(0).getAttributes().get(stringKey("a")));
  }

  @Test
  void decodesPayloadAtAnOffsetInsideALargerArray() throws Exception {
    byte[] json = fixture("root-span.json");
    byte[] padded = new byte[json.length + 20];
    java.util.Arrays.fill(padded, (byte) '#');
    System.arraycopy(json, 0, padded, 7, json.length);
    assertEquals("root", decoder.decode(padded, 7, json.length).getName());
  }

  @Test
  void readsInstrumentationLibraryWhenAVariantWritesIt() throws Exception {
    SpanData span =
        decode(
            root(
                "resource",
                "null,\"instrumentation_lib\":{\"name\":\"agent\",\"version\":\"3.2\"}"));
    assertEquals("agent", span.getInstrumentationScopeInfo().getName());
    assertEquals("3.2", span.getInstrumentationScopeInfo().getVersion());
  }

  @Test
  void dropsResourceAttributeWhoseKeyOtelJavaRefuses() throws Exception {
    SpanData span =
        decode(
            root(
                "resource",
                "{\"attrs\":{\"clé\":{\"String\":\"x\"},\"ok\":{\"I64\":1},\"\":{\"Bool\":true}}}"));
    assertEquals(1L, span.getResource().getAttribute(longKey("ok")));
    assertEquals(null, span.getResource().getAttribute(stringKey("clé")));
    assertEquals("kata-agent", span.getResource().getAttribute(stringKey("service.name")));
    assertEquals(2, span.getResource().getAttributes().size());
  }

  @Test
  void acceptsStatusCodeAsVariantIndex() throws Exception {
    SpanData span =
        decode(
            root("status_code", "2")
                .replace("\"status_message\":\"\"", "\"status_message\":\"bad\""));
    assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
    assertEquals("bad", span.getStatus().getDescription());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // Not starting with '{': read as bincode, too short for a trace id.
        "not JSON | ;x | span_context.trace_id must have 8 more bytes at payload byte 0: 2 left",
        "truncated | {\"span_context\":{\"trace_id\":1 | must be well-formed JSON",
        "array root | [] | span_context.trace_id must have 8 more bytes at payload byte 0: 2 left",
      })
  void rejectsMalformedJson(String label, String json, String expected) {
    KataFrameException e = assertThrows(KataFrameException.class, () -> decode(json));
    assertTrue(e.getMessage().contains(expected), label + ": " + e.getMessage());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "trace_id | -1 | span_context.trace_id must be an unsigned 128-bit integer: -1",
        "trace_id | 340282366920938463463374607431768211456 | span_context.trace_id must be an unsigned 128-bit integer: 340282366920938463463374607431768211456",
        "trace_id | 1.5e3 | span_context.trace_id must be an unsigned 128-bit integer: 1.5e3",
        "trace_id | \"1\" | span_context.trace_id must be an unsigned 128-bit integer: \"1\"",
        "trace_id | 0 | span_context.trace_id must not be 0: 0",
        "span_id | 18446744073709551616 | span_context.span_id must be an unsigned 64-bit integer: 18446744073709551616",
        "span_id | 0 | span_context.span_id must not be 0: 0",
        "trace_flags | 256 | span_context.trace_flags must be an unsigned 8-bit integer: 256",
        "is_remote | 1 | span_context.is_remote must be a boolean: 1",
        "trace_state | \"a=b\" | span_context.trace_state must be null or an array of [key, value] pairs: \"a=b\"",
        "trace_state | [[\"a\"]] | span_context.trace_state[0][1] must be a string: end of array",
        "parent_span_id | -5 | parent_span_id must be an unsigned 64-bit integer: -5",
        "span_kind | \"client\" | span_kind must be one of Client, Server, Producer, Consumer, Internal: \"client\"",
        "name | 5 | name must be a string: 5",
        "start_time | 12 | start_time must be a SystemTime object {secs_since_epoch, nanos_since_epoch}: 12",
        "start_time | {\"secs_since_epoch\":1,\"nanos_since_epoch\":1000000000} | start_time.nanos_since_epoch must be below 1000000000: 1000000000",
        "start_time | {\"secs_since_epoch\":1} | start_time.nanos_since_epoch must be present: missing",
        "end_time | {\"secs_since_epoch\":18446744073709551615,\"nanos_since_epoch\":0} | end_time.secs_since_epoch must fit in 64-bit epoch nanoseconds (before year 2262): 18446744073709551615",
        "attributes | [] | attributes must be an EvictedHashMap object {map, evict_list, max_len, dropped_count}: an array",
        "attributes | {\"map\":{\"k\":{\"I32\":1}}} | attributes.map.k must be a Value variant Bool, I64, F64, String or Array: \"I32\"",
        "attributes | {\"map\":{\"k\":{\"I64\":1,\"F64\":2}}} | attributes.map.k must be a Value with exactly one variant: field \"F64\"",
        "attributes | {\"map\":{\"k\":{\"I64\":9223372036854775808}}} | attributes.map.k.I64 must be a signed 64-bit integer: 9223372036854775808",
        "attributes | {\"map\":{\"k\":{\"I64\":1.5}}} | attributes.map.k.I64 must be a signed 64-bit integer: 1.5",
        "attributes | {\"map\":{\"k\":{\"Array\":{\"I64\":[1,\"x\"]}}}} | attributes.map.k.Array.I64[1] must be a signed 64-bit integer: \"x\"",
        "attributes | {\"map\":{\"k\":{\"Array\":{\"Bool\":true}}}} | attributes.map.k.Array.Bool must be an array: true",
        "attributes | {\"map\":{\"k\":null}} | attributes.map.k must be a Value",
        "attributes | {\"map\":{},\"dropped_count\":4294967296} | attributes.dropped_count must be an unsigned 32-bit integer: 4294967296",
        "events | {\"queue\":5} | events.queue must be null or an array: 5",
        "events | {\"queue\":[{\"name\":\"e\"}]} | events.queue[0].timestamp must be present: missing",
        "events | {\"queue\":[{\"name\":\"e\",\"timestamp\":{\"secs_since_epoch\":1,\"nanos_since_epoch\":0},\"attributes\":[{\"key\":\"k\"}]}]} | events.queue[0].attributes[0].value must be present: missing",
        "links | {\"queue\":[{\"attributes\":[]}]} | links.queue[0].span_context must be present: missing",
        "status_code | \"Failed\" | status_code must be one of Unset, Ok, Error: \"Failed\"",
        "status_message | null | status_message must be a string: null",
        "resource | [] | resource must be null or a Resource object {attrs}: an array",
      })
  void rejectsWrongShapesNamingTheField(String field, String value, String expected) {
    KataFrameException e = assertThrows(KataFrameException.class, () -> decode(root(field, value)));
    assertTrue(
        e.getMessage().startsWith(expected),
        "expected <" + expected + "> got <" + e.getMessage() + ">");
  }

  @ParameterizedTest
  @CsvSource({"span_context", "name", "start_time", "end_time"})
  void rejectsMissingRequiredField(String field) {
    String json = root(field, "null").replace("\"" + field + "\":null,", "");
    KataFrameException e = assertThrows(KataFrameException.class, () -> decode(json));
    assertEquals(field + " must be present: missing", e.getMessage());
  }

  @Test
  void rejectsTruncatedFrameAtEveryLength() throws Exception {
    byte[] json = fixture("full-span.json");
    for (int length = 0; length < json.length; length++) {
      int cut = length;
      // Trailing whitespace after the closing brace is the only prefix that stays valid.
      if (new String(json, 0, cut, StandardCharsets.UTF_8).strip().endsWith("}")
          && new String(json, cut, json.length - cut, StandardCharsets.UTF_8).isBlank()) {
        continue;
      }
      assertThrows(
          KataFrameException.class, () -> decoder.decode(json, 0, cut), "prefix of " + cut);
    }
  }

  @Test
  void rejectsPayloadLongerThanMax() throws Exception {
    byte[] json = fixture("root-span.json");
    KataSpanDecoder small = new KataSpanDecoder("kata-agent", json.length - 1);
    KataFrameException e =
        assertThrows(KataFrameException.class, () -> small.decode(json, 0, json.length));
    assertEquals(
        "kata span payload must be at most " + (json.length - 1) + " bytes: " + json.length,
        e.getMessage());
  }

  @Test
  void rejectsTrailingDataAfterTheSpan() {
    KataFrameException e =
        assertThrows(KataFrameException.class, () -> decode(root(null, null) + "{}"));
    assertEquals(
        "span must be followed by nothing (one span per frame): an object", e.getMessage());
  }

  @Test
  void rejectsNestingDeeperThanLimit() {
    String deep = "[".repeat(100) + "]".repeat(100);
    String json =
        root(null, null).replace("\"resource\":null", "\"resource\":null,\"future\":" + deep);
    KataFrameException e = assertThrows(KataFrameException.class, () -> decode(json));
    assertTrue(e.getMessage().contains("exceeds a limit"), e.getMessage());
  }

  @Test
  void rejectsNumberLongerThanLimit() {
    String longNumber = "1".repeat(200);
    KataFrameException e =
        assertThrows(KataFrameException.class, () -> decode(root("parent_span_id", longNumber)));
    assertTrue(e.getMessage().contains("exceeds a limit"), e.getMessage());
  }

  @Test
  void rejectsEmptyPayload() {
    KataFrameException e =
        assertThrows(KataFrameException.class, () -> decoder.decode(new byte[4], 2, 0));
    assertEquals("kata span payload must not be empty: 0 bytes", e.getMessage());
  }

  @Test
  void rejectsEmptyDefaultServiceName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new KataSpanDecoder(""));
    assertEquals("defaultServiceName must not be empty", e.getMessage());
  }
}
