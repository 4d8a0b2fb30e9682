package dev.spantransport.forwarder.kata;

import static io.opentelemetry.api.common.AttributeKey.booleanArrayKey;
import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleArrayKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longArrayKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bincode form the Kata agent really sends; layout in forwarder/KATA-FORMAT.md. */
class KataBincodeDecoderTest {

  // Offsets in root-span.bincode.hex (see its comments).
  private static final int ROOT_IS_REMOTE = 25;
  private static final int ROOT_TRACE_STATE_TAG = 26;
  private static final int ROOT_SPAN_KIND = 35;
  private static final int ROOT_NAME_LENGTH = 39;
  private static final int ROOT_NAME_BYTE = 47;
  private static final int ROOT_END_NANOS = 68;
  private static final int ROOT_MAP_LENGTH = 72;
  private static final int ROOT_EVICT_LENGTH = 80;
  private static final int ROOT_EVENTS_TAG = 96;
  private static final int ROOT_STATUS_CODE = 114;
  private static final int ROOT_STATUS_MESSAGE_LENGTH = 118;
  private static final int ROOT_RESOURCE_TAG = 140;
  private static final int ROOT_LENGTH = 141;

  private final KataSpanDecoder decoder = new KataSpanDecoder("kata-agent");

  /** Reads a hex fixture: '#' starts a comment, whitespace is ignored. */
  static byte[] hexFixture(String name) throws Exception {
    String text = new String(KataSpanDecoderTest.fixture(name), StandardCharsets.UTF_8);
    StringBuilder hex = new StringBuilder();
    for (String line : text.split("\n")) {
      int hash = line.indexOf('#');
      hex.append((hash < 0 ? line : line.substring(0, hash)).replaceAll("\\s", ""));
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return bytes;
  }

  private SpanData decode(byte[] payload) throws KataFrameException {
    return decoder.decode(payload, 0, payload.length);
  }

  private KataFrameException reject(byte[] payload) {
    return assertThrows(KataFrameException.class, () -> decode(payload));
  }

  private static byte[] root() throws Exception {
    byte[] root = hexFixture("root-span.bincode.hex");
    assertEquals(ROOT_LENGTH, root.length);
    return root;
  }

  private static void putU64(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  private static byte[] insert(byte[] b, int at, byte... extra) {
    byte[] out = new byte[b.length + extra.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(extra, 0, out, at, extra.length);
    System.arraycopy(b, at, out, at + extra.length, b.length - at);
    return out;
  }

  private static byte[] u64(long v) {
    byte[] b = new byte[8];
    putU64(b, 0, v);
    return b;
  }

  /** The root fixture with one span attribute "k" whose Value bytes are {@code value}. */
  private static byte[] rootWithAttribute(int... value) throws Exception {
    byte[] bytes = new byte[value.length];
    for (int i = 0; i < value.length; i++) {
      bytes[i] = (byte) value[i];
    }
    return rootWithAttribute(bytes);
  }

  private static byte[] rootWithAttribute(byte[] value) throws Exception {
    byte[] b = root();
    putU64(b, ROOT_MAP_LENGTH, 1);
    ByteArrayOutputStream kv = new ByteArrayOutputStream();
    kv.writeBytes(u64(1));
    kv.write('k');
    kv.writeBytes(value);
    return insert(b, ROOT_EVICT_LENGTH, kv.toByteArray());
  }

  @Test
  void decodesEveryFieldOfTheHandAssembledFullSpan() throws Exception {
    SpanData span = decode(hexFixture("full-span.bincode.hex"));

    SpanContext context = span.getSpanContext();
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", context.getTraceId());
    assertEquals("80f067aa0ba902b7", context.getSpanId());
    assertTrue(context.isSampled());
    assertFalse(context.isRemote());
    assertEquals(
        Map.of("congo", "t61rcWkgMzE", "rojo", "00f067aa0ba902b7"),
        context.getTraceState().asMap());
    List<String> order = new ArrayList<>();
    context.getTraceState().forEach((k, v) -> order.add(k));
    assertEquals(List.of("congo", "rojo"), order, "trace state keeps the deque's front first");
    assertEquals("00f067aa0ba902b6", span.getParentSpanId());
    assertEquals(context.getTraceId(), span.getParentSpanContext().getTraceId());
    assertEquals(SpanKind.SERVER, span.getKind());
    assertEquals("CreateContainer ✓ 容器", span.getName());
    assertEquals(1_700_000_000_123_456_789L, span.getStartEpochNanos());
    assertEquals(1_700_000_001_000_000_005L, span.getEndEpochNanos());

    Attributes a = span.getAttributes();
    assertEquals(8, a.size());
    assertEquals(true, a.get(booleanKey("sandbox.ok")));
    assertEquals(-137L, a.get(longKey("exit.code")));
    assertEquals(0.25, a.get(doubleKey("ratio")));
    assertEquals("c0ffee-ünï", a.get(stringKey("container.id")));
    assertEquals(List.of(true, false), a.get(booleanArrayKey("flags")));
    assertEquals(List.of(1L, -1L, Long.MAX_VALUE), a.get(longArrayKey("pids")));
    assertEquals(List.of(1.5, -0.0), a.get(doubleArrayKey("loads")));
    assertEquals(List.of("/run", "/ü"), a.get(stringArrayKey("mounts")));
    assertEquals(11, span.getTotalAttributeCount(), "8 recorded + 3 dropped");

    assertEquals(1, span.getEvents().size());
    EventData event = span.getEvents().get(0);
    assertEquals("exception", event.getName());
    assertEquals(1_700_000_000_000_000_500L, event.getEpochNanos());
    assertEquals(
        Attributes.builder().put("exception.message", "oom").put("attempt", 2L).build(),
        event.getAttributes());
    assertEquals(3, event.getTotalAttributeCount());
    assertEquals(3, span.getTotalRecordedEvents(), "1 recorded + 2 dropped");

    assertEquals(1, span.getLinks().size());
    LinkData link = span.getLinks().get(0);
    assertEquals("0af7651916cd43dd8448eb211c80319c", link.getSpanContext().getTraceId());
    assertEquals("b7ad6b7169203331", link.getSpanContext().getSpanId());
    assertTrue(link.getSpanContext().isRemote());
    assertFalse(link.getSpanContext().isSampled());
    assertEquals(Attributes.of(stringKey("link.kind"), "parent-vm"), link.getAttributes());
    assertEquals(1, link.getTotalAttributeCount());
    assertEquals(2, span.getTotalRecordedLinks(), "1 recorded + 1 dropped");

    assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
    assertEquals("boom: ünïcode 💥", span.getStatus().getDescription());
    assertEquals(
        Attributes.builder()
            .put("host.arch", "x86_64")
            .put("service.name", "kata-agent-vm1")
            .build(),
        span.getResource().getAttributes());
    assertEquals(InstrumentationScopeInfo.empty(), span.getInstrumentationScopeInfo());
    assertTrue(span.hasEnded());
  }

  /**
   * real-bincode-span.hex is the output of src/test/rust/kata-bincode-fixture (serde derive +
   * bincode 1.3.3 {@code bincode::serialize}); every expected value below is set in its main.rs.
   */
  @Test
  void decodesBytesWrittenByRealSerdeAndBincode() throws Exception {
    SpanData span = decode(hexFixture("real-bincode-span.hex"));

    SpanContext context = span.getSpanContext();
    assertEquals("fedcba98765432100123456789abcdef", context.getTraceId(), "trace id above 2^64");
    assertEquals("8000000000000abc", context.getSpanId(), "span id above 2^63");
    assertTrue(context.isSampled());
    assertFalse(context.isRemote());
    List<String> state = new ArrayList<>();
    context.getTraceState().forEach((k, v) -> state.add(k + "=" + v));
    assertEquals(List.of("vendor1=alpha", "vendor2=beta"), state);
    assertEquals("1122334455667788", span.getParentSpanId());
    assertEquals(SpanKind.SERVER, span.getKind());
    assertEquals("rpc.create_container", span.getName());
    assertEquals(1_700_000_000_123_456_789L, span.getStartEpochNanos());
    assertEquals(1_700_000_001_987_654_321L, span.getEndEpochNanos());

    assertEquals(Attributes.of(stringKey("http.method"), "GET"), span.getAttributes());
    assertEquals(4, span.getTotalAttributeCount(), "1 recorded + 3 dropped");

    assertEquals(1, span.getEvents().size());
    EventData event = span.getEvents().get(0);
    assertEquals("exception", event.getName());
    assertEquals(1_700_000_000_500_000_000L, event.getEpochNanos());
    assertEquals(
        Attributes.builder()
            .put(booleanKey("flag"), true)
            .put(longKey("count"), -42L)
            .put(doubleKey("ratio"), 0.25)
            .put(stringKey("message"), "boom")
            .put(booleanArrayKey("bools"), List.of(true, false))
            .put(longArrayKey("ints"), List.of(1L, -2L, Long.MAX_VALUE))
            .put(doubleArrayKey("floats"), List.of(1.5, -0.5))
            .put(stringArrayKey("strings"), List.of("a", "b"))
            .build(),
        event.getAttributes());
    assertEquals(9, event.getTotalAttributeCount(), "8 recorded + 1 dropped");
    assertEquals(5, span.getTotalRecordedEvents(), "1 recorded + 4 dropped");

    assertEquals(1, span.getLinks().size());
    LinkData link = span.getLinks().get(0);
    assertEquals("0af7651916cd43dd8448eb211c80319c", link.getSpanContext().getTraceId());
    assertEquals("b7ad6b7169203331", link.getSpanContext().getSpanId());
    assertTrue(link.getSpanContext().isRemote());
    assertTrue(link.getSpanContext().isSampled());
    assertTrue(link.getSpanContext().getTraceState().isEmpty());
    assertEquals(Attributes.of(stringKey("link.kind"), "follows"), link.getAttributes());
    assertEquals(3, link.getTotalAttributeCount(), "1 recorded + 2 dropped");
    assertEquals(6, span.getTotalRecordedLinks(), "1 recorded + 5 dropped");

    assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
    assertEquals("container failed", span.getStatus().getDescription());
    assertEquals(
        Attributes.builder().put("host.cpus", 4L).put("service.name", "kata-agent").build(),
        span.getResource().getAttributes());
    assertEquals(InstrumentationScopeInfo.empty(), span.getInstrumentationScopeInfo());
  }

  @Test
  void writerReproducesTheRealSerdeAndBincodeBytesExactly() throws Exception {
    byte[] real = hexFixture("real-bincode-span.hex");
    assertArrayEquals(real, BincodeSpanWriter.write(decode(real), false));
  }

  @Test
  void decodesRootSpanWithNoParentEmptyAttributesNoneQueuesAndNoneResource() throws Exception {
    SpanData span = decode(root());
    assertEquals("00000000000000000000000000000001", span.getTraceId());
    assertEquals("0000000000000002", span.getSpanId());
    assertFalse(span.getSpanContext().isSampled());
    assertFalse(span.getParentSpanContext().isValid());
    assertEquals(SpanKind.INTERNAL, span.getKind());
    assertEquals("r", span.getName());
    assertEquals(1, span.getStartEpochNanos());
    assertEquals(2, span.getEndEpochNanos());
    assertEquals(Attributes.empty(), span.getAttributes());
    assertEquals(0, span.getTotalAttributeCount());
    assertTrue(span.getEvents().isEmpty());
    assertTrue(span.getLinks().isEmpty());
    assertEquals(StatusCode.OK, span.getStatus().getStatusCode());
    assertEquals("", span.getStatus().getDescription(), "the API drops an Ok message");
    assertEquals(
        Attributes.of(stringKey("service.name"), "kata-agent"), span.getResource().getAttributes());
  }

  @Test
  void writerAndDecoderAgreeOnTheFullFixture() throws Exception {
    SpanData span = decode(hexFixture("full-span.bincode.hex"));
    byte[] again = BincodeSpanWriter.write(span, false);
    assertEquals(span, decode(again));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 5, 8, 13})
  void decodesGeneratedSpansOfBothFormsThroughFramesSplitAtRandom(long seed) throws Exception {
    Random r = new Random(seed);
    List<SpanData> expected = new ArrayList<>();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 60; i++) {
      boolean resourceNone = r.nextInt(4) == 0;
      SpanData span = KataSpanRoundTripTest.randomSpan(r, resourceNone);
      expected.add(span);
      byte[] payload =
          r.nextInt(3) == 0
              ? SerdeSpanWriter.write(span, resourceNone)
              : BincodeSpanWriter.write(span, resourceNone);
      stream.writeBytes(SerdeSpanWriter.frame(payload));
    }
    List<SpanData> decoded = new ArrayList<>();
    KataFrameReader reader = new KataFrameReader();
    for (byte[] payload :
        KataFrameReaderTest.feed(stream.toByteArray(), i -> 1 + r.nextInt(300), reader)) {
      decoded.add(decoder.decode(payload, 0, payload.length));
    }
    assertEquals(expected, decoded);
  }

  @Test
  void rejectsEveryTruncationOfTheFullSpan() throws Exception {
    byte[] full = hexFixture("full-span.bincode.hex");
    for (int length = 1; length < full.length; length++) {
      int cut = length;
      KataFrameException e =
          assertThrows(
              KataFrameException.class, () -> decoder.decode(full, 0, cut), "prefix of " + cut);
      assertTrue(
          e.getMessage().contains("more bytes at payload byte")
              || e.getMessage().contains("bytes left"),
          cut + ": " + e.getMessage());
    }
  }

  @Test
  void namesTheFieldWhereThePayloadEnds() throws Exception {
    byte[] root = root();
    KataFrameException e =
        assertThrows(KataFrameException.class, () -> decoder.decode(root, 0, ROOT_END_NANOS + 2));
    assertEquals(
        "end_time.nanos_since_epoch must have 4 more bytes at payload byte 68: 2 left",
        e.getMessage());
  }

  @Test
  void rejectsHugeLengthPrefixesBeforeAllocating() throws Exception {
    long[] huge = {1L << 60, -1L, Integer.MAX_VALUE + 1L, ROOT_LENGTH};
    for (long length : huge) {
      byte[] name = root();
      putU64(name, ROOT_NAME_LENGTH, length);
      assertTrue(
          reject(name).getMessage().startsWith("name length must fit the 94 bytes left: "),
          Long.toUnsignedString(length));

      byte[] map = root();
      putU64(map, ROOT_MAP_LENGTH, length);
      assertTrue(
          reject(map).getMessage().startsWith("attributes.map length must fit the 61 bytes left"),
          Long.toUnsignedString(length));

      byte[] evict = root();
      putU64(evict, ROOT_EVICT_LENGTH, length);
      assertTrue(reject(evict).getMessage().startsWith("attributes.evict_list length must fit"));

      byte[] message = root();
      putU64(message, ROOT_STATUS_MESSAGE_LENGTH, length);
      assertTrue(reject(message).getMessage().startsWith("status_message length must fit"));

      byte[] events = root();
      events[ROOT_EVENTS_TAG] = 1;
      events = insert(events, ROOT_EVENTS_TAG + 1, u64(length));
      assertTrue(reject(events).getMessage().startsWith("events.queue length must fit"));

      byte[] state = root();
      state[ROOT_TRACE_STATE_TAG] = 1;
      state = insert(state, ROOT_TRACE_STATE_TAG + 1, u64(length));
      assertTrue(reject(state).getMessage().startsWith("span_context.trace_state length must fit"));

      ByteArrayOutputStream array = new ByteArrayOutputStream();
      array.writeBytes(new byte[] {4, 0, 0, 0, 3, 0, 0, 0}); // Value::Array, Array::String
      array.writeBytes(u64(length));
      assertTrue(
          reject(rootWithAttribute(array.toByteArray()))
              .getMessage()
              .startsWith("attributes.map.k.Array.String length must fit"));
    }
    byte[] exact = root();
    putU64(exact, ROOT_MAP_LENGTH, 5); // 5 * 13 > 61 bytes left
    assertEquals(
        "attributes.map length must fit the 61 bytes left (at most 4 elements of at least 13"
            + " bytes): 5",
        reject(exact).getMessage());
  }

  @Test
  void rejectsBadEnumIndicesNamingFieldAndValue() throws Exception {
    byte[] kind = root();
    kind[ROOT_SPAN_KIND] = 5;
    assertEquals(
        "span_kind must be a variant index 0 to 4 (Client, Server, Producer, Consumer,"
            + " Internal): 5",
        reject(kind).getMessage());

    byte[] status = root();
    status[ROOT_STATUS_CODE + 3] = (byte) 0x80;
    assertEquals(
        "status_code must be a variant index 0 to 2 (Unset, Ok, Error): 2147483649",
        reject(status).getMessage());

    assertEquals(
        "attributes.map.k must be a Value variant index 0 to 4 (Bool, I64, F64, String, Array): 5",
        reject(rootWithAttribute(5, 0, 0, 0, 1)).getMessage());
    assertEquals(
        "attributes.map.k.Array must be an Array variant index 0 to 3 (Bool, I64, F64, String):"
            + " 4",
        reject(rootWithAttribute(4, 0, 0, 0, 4, 0, 0, 0)).getMessage());
  }

  @Test
  void rejectsBadBoolAndOptionTags() throws Exception {
    byte[] remote = root();
    remote[ROOT_IS_REMOTE] = 2;
    assertEquals(
        "span_context.is_remote must be a bool byte 0 or 1: 2", reject(remote).getMessage());
    assertEquals(
        "attributes.map.k.Bool must be a bool byte 0 or 1: 255",
        reject(rootWithAttribute(0, 0, 0, 0, 0xFF)).getMessage());
    byte[] resource = root();
    resource[ROOT_RESOURCE_TAG] = 2;
    assertEquals(
        "resource must be an Option tag 0 (None) or 1 (Some): 2", reject(resource).getMessage());
  }

  @Test
  void rejectsInvalidUtf8() throws Exception {
    byte[] name = root();
    name[ROOT_NAME_BYTE] = (byte) 0xFF;
    assertEquals(
        "name must be valid UTF-8: invalid bytes in 1 at payload byte 47",
        reject(name).getMessage());
    // A lone surrogate encoded as UTF-8 (CESU) is not valid UTF-8 in Rust either.
    byte[] surrogate = root();
    putU64(surrogate, ROOT_NAME_LENGTH, 3);
    surrogate =
        insert(surrogate, ROOT_NAME_BYTE, (byte) 0xED, (byte) 0xA0); // + existing 'r' = 3 bytes
    surrogate[ROOT_NAME_BYTE + 2] = (byte) 0x80;
    assertTrue(reject(surrogate).getMessage().startsWith("name must be valid UTF-8"));
  }

  @Test
  void rejectsTrailingBytesAndZeroIdsAndBadNanos() throws Exception {
    byte[] trailing = insert(root(), ROOT_LENGTH, (byte) 0);
    assertEquals(
        "span must end at payload byte 141 (one SpanData per frame): 1 trailing bytes",
        reject(trailing).getMessage());

    byte[] zeroTrace = root();
    zeroTrace[0] = 0;
    assertEquals("span_context.trace_id must not be 0: 0", reject(zeroTrace).getMessage());
    byte[] zeroSpan = root();
    zeroSpan[16] = 0;
    assertEquals("span_context.span_id must not be 0: 0", reject(zeroSpan).getMessage());

    byte[] nanos = root();
    nanos[ROOT_END_NANOS] = 0;
    nanos[ROOT_END_NANOS + 1] = (byte) 0xCA;
    nanos[ROOT_END_NANOS + 2] = (byte) 0x9A;
    nanos[ROOT_END_NANOS + 3] = 0x3B; // 1_000_000_000
    assertEquals(
        "end_time.nanos_since_epoch must be below 1000000000: 1000000000",
        reject(nanos).getMessage());
  }

  @Test
  void readsBincodeWhoseTraceIdStartsLikeJson() throws Exception {
    byte[] root = root();
    root[0] = '{';
    root[1] = '"';
    assertTrue(KataSpanDecoder.looksLikeJson(root, 0, root.length));
    SpanData span = decode(root);
    assertEquals("0000000000000000000000000000227b", span.getTraceId());
  }

  @Test
  void reportsTheJsonErrorWhenNeitherFormFits() {
    byte[] json = "{\"span_context\":".getBytes(StandardCharsets.UTF_8);
    KataFrameException e = reject(json);
    assertTrue(e.getMessage().contains("must be well-formed JSON"), e.getMessage());
    assertEquals(1, e.getSuppressed().length, "the bincode error is attached");
  }
}
