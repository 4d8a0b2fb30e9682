package dev.spantransport.forwarder.kata.internal;

import dev.spantransport.forwarder.kata.KataFrameException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one {@code bincode::serialize} (bincode 1.3, default function options: little-endian,
 * fixed-width integers) of the Rust {@code opentelemetry} 0.14 {@code
 * sdk::export::trace::SpanData}, as the Kata agent's vsock-exporter writes it. The layout, field by
 * field, is documented in {@code forwarder/KATA-FORMAT.md}; each method below names the Rust type
 * it reads.
 *
 * <p>Strict: every length prefix is checked against the bytes left before anything is allocated,
 * enum variant indices, bools and Option tags are validated, strings must be valid UTF-8, and bytes
 * after the struct are rejected (bincode's own {@code deserialize} would ignore them). Each error
 * names the field path and the value seen.
 *
 * <p>One reader decodes one payload; not thread-safe.
 *
 * <p>This class is internal and is not intended for public use. Its API may change at any time.
 */
public final class KataBincodeReader {

  // Smallest encodings, used to bound element counts before reading them.
  private static final int STRING_MIN = 8; // u64 length, no bytes
  private static final int VALUE_MIN = 4 + 1; // variant index + a bool
  private static final int KEY_VALUE_MIN = STRING_MIN + VALUE_MIN;
  private static final int SYSTEM_TIME = 8 + 4;
  private static final int SPAN_CONTEXT_MIN = 16 + 8 + 1 + 1 + 1; // ids, flags, remote, None
  private static final int EVENT_MIN = STRING_MIN + SYSTEM_TIME + 8 + 4;
  private static final int LINK_MIN = SPAN_CONTEXT_MIN + 8 + 4;
  private static final int TRACE_STATE_ENTRY_MIN = 2 * STRING_MIN;

  private final byte[] buf;
  private final int start;
  private final int end;
  private final String defaultServiceName;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private int pos;

  /**
   * Creates a reader over {@code length} bytes of {@code buf} from {@code offset}.
   *
   * @param defaultServiceName {@code service.name} for spans whose resource has none
   */
  public KataBincodeReader(byte[] buf, int offset, int length, String defaultServiceName) {
    this.buf = buf;
    this.start = offset;
    this.end = offset + length;
    this.pos = offset;
    this.defaultServiceName = defaultServiceName;
  }

  /**
   * Reads the whole payload as one SpanData.
   *
   * @throws KataFrameException if the bytes are not exactly one well-formed SpanData
   */
  public SpanData readSpan() throws KataFrameException {
    // SpanData (src/sdk/export/trace/mod.rs), fields in declaration order; instrumentation_lib is
    // #[serde(skip)] and never on the wire.
    SpanContext context = readSpanContext("span_context", true);
    long parentSpanId = readU64("parent_span_id");
    SpanKind kind = readKind();
    String name = readString("name");
    long startTime = readSystemTime("start_time");
    long endTime = readSystemTime("end_time");
    AttributesBuilder attributes = Attributes.builder();
    long droppedAttributes = readEvictedHashMap("attributes", attributes);
    List<EventData> events = new ArrayList<>();
    long droppedEvents = readEventQueue("events", events);
    List<LinkData> links = new ArrayList<>();
    long droppedLinks = readLinkQueue("links", links);
    StatusCode statusCode = readStatusCode();
    String statusMessage = readString("status_message");
    Resource resource = readResource("resource");
    if (pos != end) {
      throw new KataFrameException(
          "span must end at payload byte "
              + (pos - start)
              + " (one SpanData per frame): "
              + (end - pos)
              + " trailing bytes");
    }
    return RustSpanMapping.span(
        context,
        parentSpanId,
        kind,
        name,
        startTime,
        endTime,
        attributes.build(),
        droppedAttributes,
        events,
        droppedEvents,
        links,
        droppedLinks,
        statusCode,
        statusMessage,
        InstrumentationScopeInfo.empty(),
        resource);
  }

  // ---- SpanContext (src/trace/span_context.rs) --------------------------------------------------

  /**
   * SpanContext { trace_id: TraceId(u128), span_id: SpanId(u64), trace_flags: u8, is_remote: bool,
   * trace_state: TraceState(Option&lt;VecDeque&lt;(String, String)&gt;&gt;) }.
   */
  private SpanContext readSpanContext(String path, boolean ownContext) throws KataFrameException {
    long traceLow = readU64(path + ".trace_id"); // u128 little-endian: low 64 bits first
    long traceHigh = readU64(path + ".trace_id");
    long spanId = readU64(path + ".span_id");
    if (ownContext) {
      RustSpanMapping.checkSpanIds(traceHigh, traceLow, spanId);
    }
    int flags = readU8(path + ".trace_flags");
    boolean remote = readBool(path + ".is_remote");
    TraceState state = TraceState.getDefault();
    String statePath = path + ".trace_state";
    if (readOptionTag(statePath)) {
      long count = readLength(statePath, TRACE_STATE_ENTRY_MIN);
      List<String> entries = new ArrayList<>();
      for (long i = 0; i < count; i++) {
        // A tuple (String, String): its two fields, no length prefix.
        entries.add(readString(statePath + "[" + i + "].0"));
        entries.add(readString(statePath + "[" + i + "].1"));
      }
      state = RustSpanMapping.traceState(entries);
    }
    return RustSpanMapping.spanContext(traceHigh, traceLow, spanId, flags, remote, state);
  }

  /** SpanKind, a unit-variant enum: u32 variant index (src/trace/span.rs). */
  private SpanKind readKind() throws KataFrameException {
    long index = readU32("span_kind");
    SpanKind kind = RustSpanMapping.kind(index);
    if (kind == null) {
      throw new KataFrameException(
          "span_kind must be a variant index 0 to 4 (Client, Server, Producer, Consumer,"
              + " Internal): "
              + index);
    }
    return kind;
  }

  /** StatusCode, a unit-variant enum: u32 variant index (src/trace/span.rs). */
  private StatusCode readStatusCode() throws KataFrameException {
    long index = readU32("status_code");
    StatusCode code = RustSpanMapping.statusCode(index);
    if (code == null) {
      throw new KataFrameException(
          "status_code must be a variant index 0 to 2 (Unset, Ok, Error): " + index);
    }
    return code;
  }

  /** serde's SystemTime: struct { secs_since_epoch: u64, nanos_since_epoch: u32 }. */
  private long readSystemTime(String path) throws KataFrameException {
    long secs = readU64(path + ".secs_since_epoch");
    long nanos = readU32(path + ".nanos_since_epoch");
    return RustSpanMapping.epochNanos(path, secs, nanos);
  }

  // ---- EvictedHashMap, EvictedQueue (src/sdk/trace), Event, Link (src/trace) -------------------

  /**
   * EvictedHashMap { map: HashMap&lt;Key, Value&gt;, evict_list: LinkedList&lt;Key&gt;, max_len:
   * u32, dropped_count: u32 } (src/sdk/trace/evicted_hash_map.rs). Returns dropped_count.
   */
  private long readEvictedHashMap(String path, AttributesBuilder into) throws KataFrameException {
    readValueMap(path + ".map", into, false);
    String evictPath = path + ".evict_list";
    long evicted = readLength(evictPath, STRING_MIN);
    for (long i = 0; i < evicted; i++) {
      readString(evictPath + "[" + i + "]"); // key order for eviction: not needed, but validated
    }
    readU32(path + ".max_len");
    return readU32(path + ".dropped_count");
  }

  /**
   * EvictedQueue&lt;Event&gt; { queue: Option&lt;VecDeque&lt;Event&gt;&gt;, max_len: u32,
   * dropped_count: u32 } (src/sdk/trace/evicted_queue.rs). Returns dropped_count.
   */
  private long readEventQueue(String path, List<EventData> into) throws KataFrameException {
    String queuePath = path + ".queue";
    if (readOptionTag(queuePath)) {
      long count = readLength(queuePath, EVENT_MIN);
      for (long i = 0; i < count; i++) {
        into.add(readEvent(queuePath + "[" + i + "]"));
      }
    }
    readU32(path + ".max_len");
    return readU32(path + ".dropped_count");
  }

  /** EvictedQueue&lt;Link&gt;, as {@link #readEventQueue}. Returns dropped_count. */
  private long readLinkQueue(String path, List<LinkData> into) throws KataFrameException {
    String queuePath = path + ".queue";
    if (readOptionTag(queuePath)) {
      long count = readLength(queuePath, LINK_MIN);
      for (long i = 0; i < count; i++) {
        into.add(readLink(queuePath + "[" + i + "]"));
      }
    }
    readU32(path + ".max_len");
    return readU32(path + ".dropped_count");
  }

  /**
   * Event { name: Cow&lt;str&gt;, timestamp: SystemTime, attributes: Vec&lt;KeyValue&gt;,
   * dropped_attributes_count: u32 } (src/trace/event.rs).
   */
  private EventData readEvent(String path) throws KataFrameException {
    String name = readString(path + ".name");
    long timestamp = readSystemTime(path + ".timestamp");
    Attributes attributes = readKeyValues(path + ".attributes");
    long dropped = readU32(path + ".dropped_attributes_count");
    return EventData.create(
        timestamp, name, attributes, RustSpanMapping.total(attributes.size(), dropped));
  }

  /**
   * Link { span_context: SpanContext, attributes: Vec&lt;KeyValue&gt;, dropped_attributes_count:
   * u32 } (src/trace/link.rs).
   */
  private LinkData readLink(String path) throws KataFrameException {
    SpanContext context = readSpanContext(path + ".span_context", false);
    Attributes attributes = readKeyValues(path + ".attributes");
    long dropped = readU32(path + ".dropped_attributes_count");
    return LinkData.create(context, attributes, RustSpanMapping.total(attributes.size(), dropped));
  }

  // ---- Resource (src/sdk/resource.rs) ----------------------------------------------------------

  /**
   * Option&lt;Arc&lt;Resource&gt;&gt;; Resource { attrs: BTreeMap&lt;Key, Value&gt; }. Arc is
   * transparent to serde. Keys OTel Java's Resource refuses are dropped.
   */
  private Resource readResource(String path) throws KataFrameException {
    if (!readOptionTag(path)) {
      return RustSpanMapping.resource(null, null, defaultServiceName);
    }
    AttributesBuilder attrs = Attributes.builder();
    readValueMap(path + ".attrs", attrs, true);
    return RustSpanMapping.resource(attrs.build(), null, defaultServiceName);
  }

  // ---- Key, Value, Array, KeyValue (src/core.rs) -----------------------------------------------

  /** A map of Key (newtype over Cow&lt;str&gt;) to Value: u64 count, then key, value pairs. */
  private void readValueMap(String path, AttributesBuilder into, boolean resourceKeysOnly)
      throws KataFrameException {
    long count = readLength(path, KEY_VALUE_MIN);
    for (long i = 0; i < count; i++) {
      String key = readString(path + "[" + i + "].key");
      readValue(
          path + "." + key,
          key,
          resourceKeysOnly && !RustSpanMapping.isResourceKey(key) ? null : into);
    }
  }

  /** Vec&lt;KeyValue&gt;; KeyValue { key: Key, value: Value }. */
  private Attributes readKeyValues(String path) throws KataFrameException {
    long count = readLength(path, KEY_VALUE_MIN);
    if (count == 0) {
      return Attributes.empty();
    }
    AttributesBuilder builder = Attributes.builder();
    for (long i = 0; i < count; i++) {
      String itemPath = path + "[" + i + "]";
      String key = readString(itemPath + ".key");
      readValue(itemPath + ".value", key, builder);
    }
    return builder.build();
  }

  /**
   * Value { Bool(bool), I64(i64), F64(f64), String(Cow&lt;str&gt;), Array(Array) }: u32 variant
   * index, then the payload. Puts it into {@code into} unless that is null (read and dropped).
   */
  private void readValue(String path, String key, AttributesBuilder into)
      throws KataFrameException {
    long variant = readU32(path);
    switch ((int) variant) {
      case 0:
        {
          boolean v = readBool(path + ".Bool");
          if (into != null) {
            into.put(AttributeKey.booleanKey(key), v);
          }
          return;
        }
      case 1:
        {
          long v = readU64(path + ".I64");
          if (into != null) {
            into.put(AttributeKey.longKey(key), v);
          }
          return;
        }
      case 2:
        {
          double v = Double.longBitsToDouble(readU64(path + ".F64"));
          if (into != null) {
            into.put(AttributeKey.doubleKey(key), v);
          }
          return;
        }
      case 3:
        {
          String v = readString(path + ".String");
          if (into != null) {
            into.put(AttributeKey.stringKey(key), v);
          }
          return;
        }
      case 4:
        readArray(path + ".Array", key, into);
        return;
      default:
        throw new KataFrameException(
            path
                + " must be a Value variant index 0 to 4 (Bool, I64, F64, String, Array): "
                + variant);
    }
  }

  /**
   * Array { Bool(Vec&lt;bool&gt;), I64(Vec&lt;i64&gt;), F64(Vec&lt;f64&gt;),
   * String(Vec&lt;Cow&lt;str&gt;&gt;) }: u32 variant index, u64 count, elements.
   */
  private void readArray(String path, String key, AttributesBuilder into)
      throws KataFrameException {
    long variant = readU32(path);
    switch ((int) variant) {
      case 0:
        {
          String p = path + ".Bool";
          long count = readLength(p, 1);
          List<Boolean> list = new ArrayList<>();
          for (long i = 0; i < count; i++) {
            list.add(readBool(p + "[" + i + "]"));
          }
          if (into != null) {
            into.put(AttributeKey.booleanArrayKey(key), list);
          }
          return;
        }
      case 1:
        {
          String p = path + ".I64";
          long count = readLength(p, 8);
          List<Long> list = new ArrayList<>();
          for (long i = 0; i < count; i++) {
            list.add(readU64(p + "[" + i + "]"));
          }
          if (into != null) {
            into.put(AttributeKey.longArrayKey(key), list);
          }
          return;
        }
      case 2:
        {
          String p = path + ".F64";
          long count = readLength(p, 8);
          List<Double> list = new ArrayList<>();
          for (long i = 0; i < count; i++) {
            list.add(Double.longBitsToDouble(readU64(p + "[" + i + "]")));
          }
          if (into != null) {
            into.put(AttributeKey.doubleArrayKey(key), list);
          }
          return;
        }
      case 3:
        {
          String p = path + ".String";
          long count = readLength(p, STRING_MIN);
          List<String> list = new ArrayList<>();
          for (long i = 0; i < count; i++) {
            list.add(readString(p + "[" + i + "]"));
          }
          if (into != null) {
            into.put(AttributeKey.stringArrayKey(key), list);
          }
          return;
        }
      default:
        throw new KataFrameException(
            path + " must be an Array variant index 0 to 3 (Bool, I64, F64, String): " + variant);
    }
  }

  // ---- bincode primitives (little-endian, fixed width) -----------------------------------------

  private void require(String path, int n) throws KataFrameException {
    if (end - pos < n) {
      throw new KataFrameException(
          path
              + " must have "
              + n
              + " more bytes at payload byte "
              + (pos - start)
              + ": "
              + (end - pos)
              + " left");
    }
  }

  private int readU8(String path) throws KataFrameException {
    require(path, 1);
    return buf[pos++] & 0xFF;
  }

  /** bool: one byte, 0 or 1; bincode rejects anything else. */
  private boolean readBool(String path) throws KataFrameException {
    int b = readU8(path);
    if (b > 1) {
      throw new KataFrameException(path + " must be a bool byte 0 or 1: " + b);
    }
    return b == 1;
  }

  /** Option tag: one byte, 0 None or 1 Some. */
  private boolean readOptionTag(String path) throws KataFrameException {
    int b = readU8(path);
    if (b > 1) {
      throw new KataFrameException(path + " must be an Option tag 0 (None) or 1 (Some): " + b);
    }
    return b == 1;
  }

  private long readU32(String path) throws KataFrameException {
    require(path, 4);
    long v =
        (buf[pos] & 0xFFL)
            | (buf[pos + 1] & 0xFFL) << 8
            | (buf[pos + 2] & 0xFFL) << 16
            | (buf[pos + 3] & 0xFFL) << 24;
    pos += 4;
    return v;
  }

  /** u64 or i64: the same 8 bytes, returned as the same 64 bits. */
  private long readU64(String path) throws KataFrameException {
    require(path, 8);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (buf[pos + i] & 0xFF);
    }
    pos += 8;
    return v;
  }

  /**
   * A sequence or map length (u64), checked against the bytes left before anything is allocated:
   * each element needs at least {@code minElementBytes}.
   */
  private long readLength(String path, int minElementBytes) throws KataFrameException {
    long count = readU64(path + " length");
    long max = (end - pos) / minElementBytes;
    if (Long.compareUnsigned(count, max) > 0) {
      throw new KataFrameException(
          path
              + " length must fit the "
              + (end - pos)
              + " bytes left (at most "
              + max
              + " elements of at least "
              + minElementBytes
              + " bytes): "
              + Long.toUnsignedString(count));
    }
    return count;
  }

  /** String / Cow&lt;str&gt;: u64 byte length, then UTF-8. */
  private String readString(String path) throws KataFrameException {
    long length = readU64(path + " length");
    if (Long.compareUnsigned(length, end - pos) > 0) {
      throw new KataFrameException(
          path
              + " length must fit the "
              + (end - pos)
              + " bytes left: "
              + Long.toUnsignedString(length));
    }
    int n = (int) length;
    try {
      CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(buf, pos, n));
      pos += n;
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new KataFrameException(
          path
              + " must be valid UTF-8: invalid bytes in "
              + n
              + " at payload byte "
              + (pos - start),
          e);
    }
  }
}
