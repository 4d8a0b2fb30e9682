package dev.spantransport.forwarder.kata;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.spantransport.forwarder.kata.internal.KataBincodeReader;
import dev.spantransport.forwarder.kata.internal.RustSpanMapping;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfoBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Decodes one Kata agent span payload into an OpenTelemetry Java {@link SpanData}. Two wire forms
 * of the Rust {@code opentelemetry} crate's {@code sdk::export::trace::SpanData} (feature {@code
 * serialize}) are accepted, and {@link #decode} tells them apart by themselves:
 *
 * <ul>
 *   <li><b>bincode</b>: what the agent really sends. kata-containers' {@code
 *       src/agent/vsock-exporter/src/lib.rs} writes {@code bincode::serialize(&span)} (bincode
 *       1.3.3: little-endian, fixed-width integers) of the opentelemetry <b>0.14</b> {@code
 *       SpanData}. The layout, field by field and with its Rust sources, is in {@code
 *       forwarder/KATA-FORMAT.md}. It is read by {@code internal.KataBincodeReader}: every length
 *       prefix is checked against the bytes left before anything is allocated, enum indices, bools
 *       and Option tags are validated, UTF-8 is checked, and trailing bytes are rejected.
 *   <li><b>serde_json</b> of the 0.16/0.17 shape described below. It is kept for tools that dump
 *       spans as JSON.
 * </ul>
 *
 * <p>Format rule: a payload whose first byte that is not whitespace is <code>'{'</code> is read as
 * JSON, falling back to bincode if that fails; any other payload is read as bincode. See {@link
 * #decode} for why this is safe.
 *
 * <p>Both forms map to OTel Java by the same rules ({@code internal.RustSpanMapping}): ids, flags,
 * trace state (front first), remote flag, kind, name, times, attributes of every Value type
 * including arrays, events, links, status (a message only for Error), resource (plus a default
 * {@code service.name}), instrumentation scope if present, and total counts = recorded + dropped.
 *
 * <h2>The serde shape</h2>
 *
 * Each rule below names the Rust source it comes from (paths in open-telemetry/opentelemetry-rust,
 * crate {@code opentelemetry}, 0.16/0.17 era). serde's derive writes a struct as a JSON object with
 * its field names, a newtype struct as its inner value, a unit enum variant as its name in a
 * string, a newtype enum variant as {@code {"Variant": value}}, {@code Option::None} as {@code
 * null}, a tuple as an array and {@code Arc<T>} as {@code T}.
 *
 * <pre>
 * SpanData {                                   src/sdk/export/trace/mod.rs
 *   "span_context": SpanContext,
 *   "parent_span_id": u64,                     0 = no parent (SpanId::invalid())
 *   "span_kind": "Client"|"Server"|"Producer"|"Consumer"|"Internal",   src/trace/span.rs
 *   "name": string,
 *   "start_time": SystemTime, "end_time": SystemTime,
 *   "attributes": EvictedHashMap,              src/sdk/trace/evicted_hash_map.rs
 *   "events": EvictedQueue&lt;Event&gt;,            src/sdk/trace/evicted_queue.rs
 *   "links": EvictedQueue&lt;Link&gt;,
 *   "status_code": "Unset"|"Ok"|"Error",       src/trace/span.rs
 *   "status_message": string,
 *   "resource": null | Resource                Option&lt;Arc&lt;Resource&gt;&gt;
 *   instrumentation_lib                        #[serde(skip)]: never written
 * }
 * SpanContext { "trace_id": u128, "span_id": u64, "trace_flags": u8,   src/trace/span_context.rs
 *               "is_remote": bool, "trace_state": null | [[key, value], ...] }
 * SystemTime { "secs_since_epoch": u64, "nanos_since_epoch": u32 }      serde's impl for std
 * EvictedHashMap { "map": {key: Value}, "evict_list": [key], "max_len": u32, "dropped_count": u32 }
 * EvictedQueue { "queue": null | [T], "max_len": u32, "dropped_count": u32 }
 * Event { "name": string, "timestamp": SystemTime, "attributes": [KeyValue],
 *         "dropped_attributes_count": u32 }                              src/trace/event.rs
 * Link { "span_context": SpanContext, "attributes": [KeyValue],
 *        "dropped_attributes_count": u32 }                               src/trace/link.rs
 * KeyValue { "key": string, "value": Value }                             src/common.rs
 * Value = {"Bool": bool} | {"I64": i64} | {"F64": f64 | null} | {"String": string}
 *       | {"Array": {"Bool": [..]} | {"I64": [..]} | {"F64": [..]} | {"String": [..]}}
 * Resource { "attrs": {key: Value} }                                     src/sdk/resource/mod.rs
 * </pre>
 *
 * <p>Ids are JSON integers: a trace id is a u128 (up to 39 digits), span ids use the full u64
 * range; they are read from their digits, never through a double.
 *
 * <p>Tolerances, for details not confirmed from 0.17 sources or changed between releases: a Value
 * may also be untagged (a bare JSON boolean, number, string or array); {@code "message_events"} is
 * read as {@code "events"} (older releases); Event/Link {@code dropped_attributes_count} may be
 * absent; a {@code "queue"} may be {@code null} (0.17) or an array (older); {@code "status_code"}
 * may be the variant index 0/1/2; Resource {@code "schema_url"} and an {@code
 * "instrumentation_lib"} object ({@code name}, {@code version}, {@code schema_url}) are read if
 * present. Unknown fields are ignored. Resource attributes whose key OTel Java's {@code Resource}
 * refuses (not ASCII, empty, or over 255 characters) are dropped.
 *
 * <p>Thread-safe: one decoder may serve many connections.
 */
public final class KataSpanDecoder {

  /** The default service name, as kata-trace-forwarder's {@code --trace-name} default. */
  public static final String DEFAULT_SERVICE_NAME = "kata-agent";

  /** Deepest JSON nesting accepted; a real span needs 9 levels (an array attribute in an event). */
  public static final int MAX_NESTING_DEPTH = 32;

  /** Longest JSON number accepted in characters; a u128 has at most 39 digits. */
  public static final int MAX_NUMBER_LENGTH = 64;

  private static final BigInteger U128_LIMIT = BigInteger.ONE.shiftLeft(128);

  private final String defaultServiceName;
  private final int maxPayloadLength;
  private final JsonFactory factory;

  /**
   * Creates a decoder that accepts payloads up to {@link
   * KataFrameReader#DEFAULT_MAX_PAYLOAD_LENGTH}.
   *
   * @param defaultServiceName the {@code service.name} given to spans whose resource has none
   *     (kata-trace-forwarder's {@code --trace-name}, default {@value #DEFAULT_SERVICE_NAME})
   */
  public KataSpanDecoder(String defaultServiceName) {
    this(defaultServiceName, KataFrameReader.DEFAULT_MAX_PAYLOAD_LENGTH);
  }

  /**
   * Creates a decoder.
   *
   * @param defaultServiceName the {@code service.name} given to spans whose resource has none
   * @param maxPayloadLength the largest payload accepted in bytes, at least 1; also bounds every
   *     string and name inside it
   */
  public KataSpanDecoder(String defaultServiceName, int maxPayloadLength) {
    Objects.requireNonNull(defaultServiceName, "defaultServiceName");
    if (defaultServiceName.isEmpty()) {
      throw new IllegalArgumentException("defaultServiceName must not be empty");
    }
    if (maxPayloadLength < 1) {
      throw new IllegalArgumentException(
          "maxPayloadLength must be at least 1: " + maxPayloadLength);
    }
    this.defaultServiceName = defaultServiceName;
    this.maxPayloadLength = maxPayloadLength;
    StreamReadConstraints constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING_DEPTH)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .maxStringLength(maxPayloadLength)
            .maxNameLength(maxPayloadLength)
            .maxDocumentLength(maxPayloadLength)
            // Every token is at least one byte: the token count is bounded by the length.
            .maxTokenCount(maxPayloadLength)
            .build();
    this.factory = JsonFactory.builder().streamReadConstraints(constraints).build();
  }

  /** Returns the service name given to spans whose resource has none. */
  public String defaultServiceName() {
    return defaultServiceName;
  }

  /**
   * Decodes one span payload, in either wire form.
   *
   * <p>Format rule: if the first byte that is not JSON whitespace (space, tab, CR, LF) is <code>'{'
   * </code>, the payload is read as serde_json; if that fails, it is read as bincode, and if that
   * fails too the JSON error is reported (with the bincode error attached as suppressed). Any other
   * payload is read as bincode only. This is safe because a bincode {@code SpanData} starts with
   * the trace id as 16 little-endian bytes: its low byte is random, so roughly one span in 256
   * starts with 0x7B (<code>'{'</code>); such a payload is not valid JSON (binary ids, length
   * prefixes with zero bytes) and falls through to the bincode reader. A serde_json payload is
   * never read as bincode unless it is also invalid JSON.
   *
   * @param payload the array holding the payload
   * @param offset index of the payload's first byte
   * @param length payload length in bytes
   * @return the span, ended, with the payload's resource (plus {@code service.name} if missing)
   * @throws KataFrameException if the payload is longer than the limit, or is neither a well-formed
   *     serde_json nor a well-formed bincode {@code SpanData}; the message names the field path and
   *     the value seen
   */
  public SpanData decode(byte[] payload, int offset, int length) throws KataFrameException {
    Objects.checkFromIndexSize(offset, length, payload.length);
    if (length > maxPayloadLength) {
      throw new KataFrameException(
          "kata span payload must be at most " + maxPayloadLength + " bytes: " + length);
    }
    if (length == 0) {
      throw new KataFrameException("kata span payload must not be empty: 0 bytes");
    }
    if (!looksLikeJson(payload, offset, length)) {
      return decodeBincode(payload, offset, length);
    }
    try {
      return decodeJson(payload, offset, length);
    } catch (KataFrameException jsonError) {
      try {
        return decodeBincode(payload, offset, length);
      } catch (KataFrameException bincodeError) {
        jsonError.addSuppressed(bincodeError);
        throw jsonError;
      }
    }
  }

  /** True if the first byte that is not JSON whitespace is an opening brace. */
  static boolean looksLikeJson(byte[] payload, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      byte b = payload[i];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return b == '{';
      }
    }
    return false;
  }

  private SpanData decodeBincode(byte[] payload, int offset, int length) throws KataFrameException {
    try {
      return new KataBincodeReader(payload, offset, length, defaultServiceName).readSpan();
    } catch (KataFrameException e) {
      throw e;
    } catch (RuntimeException e) {
      // Defence in depth: an OTel builder refusing a value must close one connection, not more.
      throw new KataFrameException("kata span payload could not be decoded: " + e, e);
    }
  }

  private SpanData decodeJson(byte[] json, int offset, int length) throws KataFrameException {
    try (JsonParser p = factory.createParser(json, offset, length)) {
      JsonToken root = p.nextToken();
      if (root != JsonToken.START_OBJECT) {
        throw shape(p, "span", "a JSON object (serde SpanData)");
      }
      SpanData span = readSpan(p);
      JsonToken trailing = p.nextToken();
      if (trailing != null) {
        throw shape(p, "span", "followed by nothing (one span per frame)");
      }
      return span;
    } catch (KataFrameException e) {
      throw e;
    } catch (StreamConstraintsException e) {
      throw new KataFrameException("kata span JSON exceeds a limit: " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
      throw new KataFrameException(
          "kata span payload must be well-formed JSON, error at byte "
              + at
              + ": "
              + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new KataFrameException("kata span payload could not be read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // Defence in depth: an OTel builder refusing a value must close one connection, not more.
      throw new KataFrameException("kata span payload could not be decoded: " + e, e);
    }
  }

  // ---- SpanData (src/sdk/export/trace/mod.rs) -------------------------------------------------

  private SpanData readSpan(JsonParser p) throws IOException {
    Context context = null;
    long parentSpanId = 0; // SpanId::invalid(): a root span
    SpanKind kind = SpanKind.INTERNAL;
    String name = null;
    long start = -1;
    long end = -1;
    Attributes attributes = Attributes.empty();
    long droppedAttributes = 0;
    Queue<EventData> events = Queue.empty();
    Queue<LinkData> links = Queue.empty();
    StatusCode statusCode = StatusCode.UNSET;
    String statusMessage = "";
    Resource resource = null;
    InstrumentationScopeInfo scope = InstrumentationScopeInfo.empty();

    while (nextField(p, "span")) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "span_context":
          context = readContext(p, "span_context");
          break;
        case "parent_span_id":
          parentSpanId = readU64(p, "parent_span_id");
          break;
        case "span_kind":
          kind = readKind(p);
          break;
        case "name":
          name = readString(p, "name");
          break;
        case "start_time":
          start = readTime(p, "start_time");
          break;
        case "end_time":
          end = readTime(p, "end_time");
          break;
        case "attributes":
          {
            AttributesBuilder builder = Attributes.builder();
            droppedAttributes = readEvictedHashMap(p, "attributes", builder);
            attributes = builder.build();
            break;
          }
        case "events":
        case "message_events": // field name before 0.14
          events = readQueue(p, field, this::readEvent);
          break;
        case "links":
          links = readQueue(p, "links", this::readLink);
          break;
        case "status_code":
          statusCode = readStatusCode(p);
          break;
        case "status_message":
          statusMessage = readString(p, "status_message");
          break;
        case "resource":
          resource = p.currentToken() == JsonToken.VALUE_NULL ? null : readResource(p);
          break;
        case "instrumentation_lib": // #[serde(skip)] in 0.14-0.17; read if a variant writes it
          scope = readScope(p);
          break;
        default:
          p.skipChildren();
      }
    }
    if (context == null) {
      throw missing("span_context");
    }
    if (name == null) {
      throw missing("name");
    }
    if (start < 0) {
      throw missing("start_time");
    }
    if (end < 0) {
      throw missing("end_time");
    }
    RustSpanMapping.checkSpanIds(context.traceHigh, context.traceLow, context.spanId);
    return RustSpanMapping.span(
        context.toSpanContext(),
        parentSpanId,
        kind,
        name,
        start,
        end,
        attributes,
        droppedAttributes,
        events.items,
        events.dropped,
        links.items,
        links.dropped,
        statusCode,
        statusMessage,
        scope,
        resource == null
            ? RustSpanMapping.resource(null, null, defaultServiceName)
            : RustSpanMapping.resource(
                resource.getAttributes(), resource.getSchemaUrl(), defaultServiceName));
  }

  private static SpanKind readKind(JsonParser p) throws IOException {
    // Unit variants of SpanKind (src/trace/span.rs) are written as their names.
    String kind = readString(p, "span_kind");
    switch (kind) {
      case "Client":
        return SpanKind.CLIENT;
      case "Server":
        return SpanKind.SERVER;
      case "Producer":
        return SpanKind.PRODUCER;
      case "Consumer":
        return SpanKind.CONSUMER;
      case "Internal":
        return SpanKind.INTERNAL;
      default:
        throw new KataFrameException(
            "span_kind must be one of Client, Server, Producer, Consumer, Internal: "
                + quote(kind));
    }
  }

  private static StatusCode readStatusCode(JsonParser p) throws IOException {
    // StatusCode { Unset = 0, Ok = 1, Error = 2 } (src/trace/span.rs): serde writes the name.
    if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
      String digits = p.getText();
      StatusCode code =
          digits.length() == 1 ? RustSpanMapping.statusCode(digits.charAt(0) - '0') : null;
      if (code == null) {
        throw new KataFrameException("status_code must be 0, 1 or 2 as a number: " + digits);
      }
      return code;
    }
    String code = readString(p, "status_code");
    switch (code) {
      case "Unset":
        return StatusCode.UNSET;
      case "Ok":
        return StatusCode.OK;
      case "Error":
        return StatusCode.ERROR;
      default:
        throw new KataFrameException("status_code must be one of Unset, Ok, Error: " + quote(code));
    }
  }

  // ---- SpanContext, TraceId, SpanId, TraceFlags, TraceState (src/trace/span_context.rs) -------

  /** A decoded serde SpanContext; ids as numbers. */
  private static final class Context {
    long traceHigh;
    long traceLow;
    long spanId;
    int flags;
    boolean remote;
    TraceState state = TraceState.getDefault();

    SpanContext toSpanContext() {
      return RustSpanMapping.spanContext(traceHigh, traceLow, spanId, flags, remote, state);
    }
  }

  private static Context readContext(JsonParser p, String path) throws IOException {
    expectObject(p, path, "a SpanContext object");
    Context context = new Context();
    boolean traceSeen = false;
    boolean spanSeen = false;
    while (nextField(p, path)) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "trace_id":
          readU128(p, path + ".trace_id", context);
          traceSeen = true;
          break;
        case "span_id":
          context.spanId = readU64(p, path + ".span_id");
          spanSeen = true;
          break;
        case "trace_flags":
          {
            long flags = readU64(p, path + ".trace_flags");
            if (flags > 0xFF) {
              throw new KataFrameException(
                  path + ".trace_flags must be an unsigned 8-bit integer: " + flags);
            }
            context.flags = (int) flags;
            break;
          }
        case "is_remote":
          context.remote = readBoolean(p, path + ".is_remote");
          break;
        case "trace_state":
          context.state = readTraceState(p, path + ".trace_state");
          break;
        default:
          p.skipChildren();
      }
    }
    if (!traceSeen) {
      throw missing(path + ".trace_id");
    }
    if (!spanSeen) {
      throw missing(path + ".span_id");
    }
    return context;
  }

  /**
   * TraceState(Option&lt;VecDeque&lt;(String, String)&gt;&gt;): null, or an array of [key, value]
   * arrays, front first (the order of the W3C header). Entries the OTel Java builder rejects as
   * invalid W3C keys or values are dropped by it.
   */
  private static TraceState readTraceState(JsonParser p, String path) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return TraceState.getDefault();
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, path, "null or an array of [key, value] pairs");
    }
    List<String> entries = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String entryPath = path + "[" + entries.size() / 2 + "]";
      if (p.currentToken() != JsonToken.START_ARRAY) {
        throw shape(p, entryPath, "a [key, value] pair");
      }
      p.nextToken();
      entries.add(readString(p, entryPath + "[0]"));
      p.nextToken();
      entries.add(readString(p, entryPath + "[1]"));
      if (p.nextToken() != JsonToken.END_ARRAY) {
        throw shape(p, entryPath, "a pair of exactly two strings");
      }
    }
    return RustSpanMapping.traceState(entries);
  }

  // ---- SystemTime (serde's impl for std::time::SystemTime) -------------------------------------

  private static long readTime(JsonParser p, String path) throws IOException {
    expectObject(p, path, "a SystemTime object {secs_since_epoch, nanos_since_epoch}");
    long secs = -1;
    long nanos = -1;
    boolean secsSeen = false;
    while (nextField(p, path)) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "secs_since_epoch":
          secs = readU64(p, path + ".secs_since_epoch");
          secsSeen = true;
          break;
        case "nanos_since_epoch":
          nanos = readU64(p, path + ".nanos_since_epoch");
          if (nanos < 0 || nanos >= 1_000_000_000L) {
            throw new KataFrameException(
                path + ".nanos_since_epoch must be below 1000000000: " + nanos);
          }
          break;
        default:
          p.skipChildren();
      }
    }
    if (!secsSeen) {
      throw missing(path + ".secs_since_epoch");
    }
    if (nanos < 0) {
      throw missing(path + ".nanos_since_epoch");
    }
    return RustSpanMapping.epochNanos(path, secs, nanos);
  }

  // ---- EvictedHashMap, EvictedQueue, Event, Link (src/sdk/trace, src/trace) --------------------

  /** Reads {map, evict_list, max_len, dropped_count} into {@code builder}; returns dropped. */
  private static long readEvictedHashMap(JsonParser p, String path, AttributesBuilder builder)
      throws IOException {
    expectObject(p, path, "an EvictedHashMap object {map, evict_list, max_len, dropped_count}");
    long dropped = 0;
    while (nextField(p, path)) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "map":
          readValueMap(p, path + ".map", builder);
          break;
        case "dropped_count":
          dropped = readU32(p, path + ".dropped_count");
          break;
        default: // evict_list, max_len (capacity in older releases): not needed
          p.skipChildren();
      }
    }
    return dropped;
  }

  /** Recorded items and dropped count of an EvictedQueue. */
  private static final class Queue<T> {
    final List<T> items;
    final long dropped;

    Queue(List<T> items, long dropped) {
      this.items = items;
      this.dropped = dropped;
    }

    static <T> Queue<T> empty() {
      return new Queue<>(List.of(), 0);
    }
  }

  @FunctionalInterface
  private interface ItemReader<T> {
    T read(JsonParser p, String path) throws IOException;
  }

  private static <T> Queue<T> readQueue(JsonParser p, String path, ItemReader<T> reader)
      throws IOException {
    expectObject(p, path, "an EvictedQueue object {queue, max_len, dropped_count}");
    List<T> items = new ArrayList<>();
    long dropped = 0;
    while (nextField(p, path)) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "queue":
          // Option<VecDeque<T>> in 0.17 (None until the first push); VecDeque<T> before.
          if (p.currentToken() == JsonToken.VALUE_NULL) {
            break;
          }
          if (p.currentToken() != JsonToken.START_ARRAY) {
            throw shape(p, path + ".queue", "null or an array");
          }
          while (p.nextToken() != JsonToken.END_ARRAY) {
            items.add(reader.read(p, path + ".queue[" + items.size() + "]"));
          }
          break;
        case "dropped_count":
          dropped = readU32(p, path + ".dropped_count");
          break;
        default: // max_len
          p.skipChildren();
      }
    }
    return new Queue<>(items, dropped);
  }

  private EventData readEvent(JsonParser p, String path) throws IOException {
    expectObject(p, path, "an Event object {name, timestamp, attributes}");
    String name = null;
    long timestamp = -1;
    Attributes attributes = Attributes.empty();
    long dropped = 0;
    while (nextField(p, path)) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "name":
          name = readString(p, path + ".name");
          break;
        case "timestamp":
          timestamp = readTime(p, path + ".timestamp");
          break;
        case "attributes":
          attributes = readKeyValues(p, path + ".attributes");
          break;
        case "dropped_attributes_count":
          dropped = readU32(p, path + ".dropped_attributes_count");
          break;
        default:
          p.skipChildren();
      }
    }
    if (name == null) {
      throw missing(path + ".name");
    }
    if (timestamp < 0) {
      throw missing(path + ".timestamp");
    }
    return EventData.create(
        timestamp, name, attributes, RustSpanMapping.total(attributes.size(), dropped));
  }

  private LinkData readLink(JsonParser p, String path) throws IOException {
    expectObject(p, path, "a Link object {span_context, attributes}");
    Context context = null;
    Attributes attributes = Attributes.empty();
    long dropped = 0;
    while (nextField(p, path)) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "span_context":
          context = readContext(p, path + ".span_context");
          break;
        case "attributes":
          attributes = readKeyValues(p, path + ".attributes");
          break;
        case "dropped_attributes_count":
          dropped = readU32(p, path + ".dropped_attributes_count");
          break;
        default:
          p.skipChildren();
      }
    }
    if (context == null) {
      throw missing(path + ".span_context");
    }
    return LinkData.create(
        context.toSpanContext(), attributes, RustSpanMapping.total(attributes.size(), dropped));
  }

  // ---- Resource (src/sdk/resource/mod.rs), InstrumentationLibrary -------------------------------

  private static Resource readResource(JsonParser p) throws IOException {
    expectObject(p, "resource", "null or a Resource object {attrs}");
    AttributesBuilder builder = Attributes.builder();
    String schemaUrl = null;
    while (nextField(p, "resource")) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "attrs":
          // OTel Java's Resource accepts only ASCII keys of 1 to 255 characters and throws on
          // others; a Rust resource may hold any key. Such attributes are dropped, not the span.
          readValueMap(p, "resource.attrs", builder, RustSpanMapping::isResourceKey);
          break;
        case "schema_url":
          schemaUrl = readOptionalString(p, "resource.schema_url");
          break;
        default:
          p.skipChildren();
      }
    }
    return Resource.create(builder.build(), schemaUrl);
  }

  private static InstrumentationScopeInfo readScope(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return InstrumentationScopeInfo.empty();
    }
    expectObject(p, "instrumentation_lib", "an InstrumentationLibrary object {name, version}");
    String name = "";
    String version = null;
    String schemaUrl = null;
    while (nextField(p, "instrumentation_lib")) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "name":
          name = readString(p, "instrumentation_lib.name");
          break;
        case "version":
          version = readOptionalString(p, "instrumentation_lib.version");
          break;
        case "schema_url":
          schemaUrl = readOptionalString(p, "instrumentation_lib.schema_url");
          break;
        default:
          p.skipChildren();
      }
    }
    InstrumentationScopeInfoBuilder builder = InstrumentationScopeInfo.builder(name);
    if (version != null) {
      builder.setVersion(version);
    }
    if (schemaUrl != null) {
      builder.setSchemaUrl(schemaUrl);
    }
    return builder.build();
  }

  // ---- Key, Value, Array, KeyValue (src/common.rs) ----------------------------------------------

  /** {key: Value, ...}: a HashMap or BTreeMap keyed by Key, a newtype over a string. */
  private static void readValueMap(JsonParser p, String path, AttributesBuilder builder)
      throws IOException {
    readValueMap(p, path, builder, key -> true);
  }

  private static void readValueMap(
      JsonParser p, String path, AttributesBuilder builder, Predicate<String> keep)
      throws IOException {
    expectObject(p, path, "an object of key: Value");
    while (nextField(p, path)) {
      String key = p.currentName();
      p.nextToken();
      Typed value = readValue(p, path + "." + key);
      if (keep.test(key)) {
        put(builder, key, value);
      }
    }
  }

  /** Vec&lt;KeyValue&gt;: [{"key": string, "value": Value}, ...]. */
  private static Attributes readKeyValues(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, path, "an array of KeyValue objects {key, value}");
    }
    AttributesBuilder builder = Attributes.builder();
    int index = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String itemPath = path + "[" + index++ + "]";
      expectObject(p, itemPath, "a KeyValue object {key, value}");
      String key = null;
      Typed value = null;
      while (nextField(p, itemPath)) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "key":
            key = readString(p, itemPath + ".key");
            break;
          case "value":
            value = readValue(p, itemPath + ".value");
            break;
          default:
            p.skipChildren();
        }
      }
      if (key == null) {
        throw missing(itemPath + ".key");
      }
      if (value == null) {
        throw missing(itemPath + ".value");
      }
      put(builder, key, value);
    }
    return builder.build();
  }

  private enum Type {
    BOOL,
    I64,
    F64,
    STRING,
    BOOL_ARRAY,
    I64_ARRAY,
    F64_ARRAY,
    STRING_ARRAY
  }

  /** A decoded Value: its type and the Java value (Boolean, Long, Double, String or a List). */
  private static final class Typed {
    final Type type;
    final Object value;

    Typed(Type type, Object value) {
      this.type = type;
      this.value = value;
    }
  }

  @SuppressWarnings("unchecked")
  private static void put(AttributesBuilder builder, String key, Typed typed) {
    switch (typed.type) {
      case BOOL:
        builder.put(AttributeKey.booleanKey(key), (Boolean) typed.value);
        break;
      case I64:
        builder.put(AttributeKey.longKey(key), (Long) typed.value);
        break;
      case F64:
        builder.put(AttributeKey.doubleKey(key), (Double) typed.value);
        break;
      case STRING:
        builder.put(AttributeKey.stringKey(key), (String) typed.value);
        break;
      case BOOL_ARRAY:
        builder.put(AttributeKey.booleanArrayKey(key), (List<Boolean>) typed.value);
        break;
      case I64_ARRAY:
        builder.put(AttributeKey.longArrayKey(key), (List<Long>) typed.value);
        break;
      case F64_ARRAY:
        builder.put(AttributeKey.doubleArrayKey(key), (List<Double>) typed.value);
        break;
      case STRING_ARRAY:
        builder.put(AttributeKey.stringArrayKey(key), (List<String>) typed.value);
        break;
    }
  }

  /**
   * Value, externally tagged: {"Bool": true}, {"I64": 5}, {"F64": 1.5}, {"String": "s"}, {"Array":
   * {"I64": [1, 2]}}. Tolerated: an untagged bare boolean, number, string or array.
   */
  private static Typed readValue(JsonParser p, String path) throws IOException {
    JsonToken token = p.currentToken();
    if (token != JsonToken.START_OBJECT) {
      return readUntaggedValue(p, path);
    }
    if (p.nextToken() != JsonToken.FIELD_NAME) {
      throw shape(p, path, "a Value with one variant (Bool, I64, F64, String or Array)");
    }
    String variant = p.currentName();
    String variantPath = path + "." + variant;
    p.nextToken();
    Typed typed;
    switch (variant) {
      case "Bool":
        typed = new Typed(Type.BOOL, readBoolean(p, variantPath));
        break;
      case "I64":
        typed = new Typed(Type.I64, readI64(p, variantPath));
        break;
      case "F64":
        typed = new Typed(Type.F64, readF64(p, variantPath));
        break;
      case "String":
        typed = new Typed(Type.STRING, readString(p, variantPath));
        break;
      case "Array":
        typed = readArray(p, variantPath);
        break;
      default:
        throw new KataFrameException(
            path + " must be a Value variant Bool, I64, F64, String or Array: " + quote(variant));
    }
    if (p.nextToken() != JsonToken.END_OBJECT) {
      throw shape(p, path, "a Value with exactly one variant");
    }
    return typed;
  }

  /** Reads the items of the JSON array the parser is on, up to its end. */
  private static <T> List<T> readItems(JsonParser p, String path, ItemReader<T> reader)
      throws IOException {
    List<T> items = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      items.add(reader.read(p, path + "[" + items.size() + "]"));
    }
    return items;
  }

  /** Array, externally tagged: {"Bool": [..]}, {"I64": [..]}, {"F64": [..]}, {"String": [..]}. */
  private static Typed readArray(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      return readUntaggedArray(p, path);
    }
    if (p.nextToken() != JsonToken.FIELD_NAME) {
      throw shape(p, path, "an Array with one variant (Bool, I64, F64 or String)");
    }
    String variant = p.currentName();
    String variantPath = path + "." + variant;
    p.nextToken();
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, variantPath, "an array");
    }
    Typed typed;
    switch (variant) {
      case "Bool":
        typed = new Typed(Type.BOOL_ARRAY, readItems(p, variantPath, KataSpanDecoder::readBoolean));
        break;
      case "I64":
        typed = new Typed(Type.I64_ARRAY, readItems(p, variantPath, KataSpanDecoder::readI64));
        break;
      case "F64":
        typed = new Typed(Type.F64_ARRAY, readItems(p, variantPath, KataSpanDecoder::readF64));
        break;
      case "String":
        typed =
            new Typed(Type.STRING_ARRAY, readItems(p, variantPath, KataSpanDecoder::readString));
        break;
      default:
        throw new KataFrameException(
            path + " must be an Array variant Bool, I64, F64 or String: " + quote(variant));
    }
    if (p.nextToken() != JsonToken.END_OBJECT) {
      throw shape(p, path, "an Array with exactly one variant");
    }
    return typed;
  }

  private static Typed readUntaggedValue(JsonParser p, String path) throws IOException {
    switch (p.currentToken()) {
      case VALUE_TRUE:
      case VALUE_FALSE:
        return new Typed(Type.BOOL, p.getBooleanValue());
      case VALUE_NUMBER_INT:
        return new Typed(Type.I64, readI64(p, path));
      case VALUE_NUMBER_FLOAT:
        return new Typed(Type.F64, p.getDoubleValue());
      case VALUE_STRING:
        return new Typed(Type.STRING, p.getText());
      case START_ARRAY:
        return readUntaggedArray(p, path);
      default:
        throw shape(p, path, "a Value ({\"Bool\"|\"I64\"|\"F64\"|\"String\"|\"Array\": ...})");
    }
  }

  /** An untagged homogeneous array; its type is that of its first element (empty: strings). */
  private static Typed readUntaggedArray(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw shape(p, path, "an Array ({\"Bool\"|\"I64\"|\"F64\"|\"String\": [...]})");
    }
    List<Object> list = new ArrayList<>();
    Type type = null;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String itemPath = path + "[" + list.size() + "]";
      Typed item = readUntaggedValue(p, itemPath);
      if (item.type.compareTo(Type.STRING) > 0) {
        throw new KataFrameException(itemPath + " must be a scalar: an array");
      }
      if (type == null) {
        type = item.type;
      } else if (type == Type.F64 && item.type == Type.I64) {
        item = new Typed(Type.F64, ((Long) item.value).doubleValue());
      } else if (item.type != type) {
        throw new KataFrameException(
            itemPath + " must have the array's element type " + type + ": " + item.type);
      }
      list.add(item.value);
    }
    Type arrayType =
        type == null
            ? Type.STRING_ARRAY
            : Type.values()[type.ordinal() + Type.BOOL_ARRAY.ordinal()];
    return new Typed(arrayType, list);
  }

  // ---- scalars ----------------------------------------------------------------------------------

  private static String readString(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw shape(p, path, "a string");
    }
    return p.getText();
  }

  private static String readOptionalString(JsonParser p, String path) throws IOException {
    return p.currentToken() == JsonToken.VALUE_NULL ? null : readString(p, path);
  }

  private static boolean readBoolean(JsonParser p, String path) throws IOException {
    JsonToken token = p.currentToken();
    if (token == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (token == JsonToken.VALUE_FALSE) {
      return false;
    }
    throw shape(p, path, "a boolean");
  }

  private static long readI64(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw shape(p, path, "a signed 64-bit integer");
    }
    JsonParser.NumberType type = p.getNumberType();
    if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
      throw new KataFrameException(path + " must be a signed 64-bit integer: " + p.getText());
    }
    return p.getLongValue();
  }

  /** f64; serde_json writes NaN and the infinities as null, read back as NaN. */
  private static double readF64(JsonParser p, String path) throws IOException {
    switch (p.currentToken()) {
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_NULL:
        return Double.NaN;
      default:
        throw shape(p, path, "a number");
    }
  }

  /** u64 from its decimal digits: the full unsigned range, returned as the same 64 bits. */
  private static long readU64(JsonParser p, String path) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw shape(p, path, "an unsigned 64-bit integer");
    }
    String digits = p.getText();
    if (digits.startsWith("-")) {
      throw new KataFrameException(path + " must be an unsigned 64-bit integer: " + digits);
    }
    try {
      return Long.parseUnsignedLong(digits);
    } catch (NumberFormatException e) {
      throw new KataFrameException(path + " must be an unsigned 64-bit integer: " + digits, e);
    }
  }

  private static long readU32(JsonParser p, String path) throws IOException {
    long value = readU64(p, path);
    if (value < 0 || value > 0xFFFF_FFFFL) {
      throw new KataFrameException(
          path + " must be an unsigned 32-bit integer: " + Long.toUnsignedString(value));
    }
    return value;
  }

  /** u128 from its decimal digits (up to 39), into the high and low 64 bits. */
  private static void readU128(JsonParser p, String path, Context into) throws IOException {
    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw shape(p, path, "an unsigned 128-bit integer");
    }
    String digits = p.getText();
    if (digits.startsWith("-")) {
      throw new KataFrameException(path + " must be an unsigned 128-bit integer: " + digits);
    }
    if (digits.length() <= 18) {
      into.traceHigh = 0;
      into.traceLow = Long.parseLong(digits);
      return;
    }
    BigInteger value = new BigInteger(digits);
    if (value.compareTo(U128_LIMIT) >= 0) {
      throw new KataFrameException(path + " must be an unsigned 128-bit integer: " + digits);
    }
    into.traceHigh = value.shiftRight(64).longValue();
    into.traceLow = value.longValue();
  }

  // ---- structure helpers -----------------------------------------------------------------------

  /** Advances to the next field of the current object; false at its end. */
  private static boolean nextField(JsonParser p, String path) throws IOException {
    JsonToken token = p.nextToken();
    if (token == JsonToken.END_OBJECT) {
      return false;
    }
    if (token != JsonToken.FIELD_NAME) {
      throw shape(p, path, "an object with named fields");
    }
    return true;
  }

  private static void expectObject(JsonParser p, String path, String what) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw shape(p, path, what);
    }
  }

  private static KataFrameException missing(String path) {
    return new KataFrameException(path + " must be present: missing");
  }

  private static KataFrameException shape(JsonParser p, String path, String expected)
      throws IOException {
    return new KataFrameException(path + " must be " + expected + ": " + describe(p));
  }

  private static String describe(JsonParser p) throws IOException {
    JsonToken token = p.currentToken();
    if (token == null) {
      return "end of input";
    }
    switch (token) {
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      case END_OBJECT:
        return "end of object";
      case END_ARRAY:
        return "end of array";
      case FIELD_NAME:
        return "field " + quote(p.currentName());
      case VALUE_STRING:
        return quote(p.getText());
      case VALUE_NULL:
        return "null";
      default:
        return p.getText();
    }
  }

  private static String quote(String s) {
    String shown = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return '"' + shown + '"';
  }

  @Override
  public String toString() {
    return "KataSpanDecoder{defaultServiceName="
        + defaultServiceName
        + ", maxPayloadLength="
        + maxPayloadLength
        + "}";
  }
}
