package dev.spantransport.forwarder.kata.internal;

import static dev.spantransport.forwarder.kata.internal.SerdeJson.expectObject;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.missing;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.nextField;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.quote;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readBoolean;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readOptionalString;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readString;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readU32;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.readU64;
import static dev.spantransport.forwarder.kata.internal.SerdeJson.shape;
import static dev.spantransport.forwarder.kata.internal.SerdeValues.readKeyValues;
import static dev.spantransport.forwarder.kata.internal.SerdeValues.readValueMap;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.spantransport.forwarder.kata.KataFrameException;
import dev.spantransport.forwarder.kata.internal.SerdeJson.ItemReader;
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

/**
 * Reads one serde_json {@code SpanData} of opentelemetry-rust 0.16/0.17 (what Kata agents from 3.29
 * send) from a Jackson parser; the values inside are read by {@link SerdeValues}, the scalars and
 * structure checks by {@link SerdeJson}, and the result is built by {@link RustSpanMapping}.
 *
 * <p>Each rule below names the Rust source it comes from (paths in
 * open-telemetry/opentelemetry-rust, crate {@code opentelemetry}, 0.16/0.17 era). serde's derive
 * writes a struct as a JSON object with its field names, a newtype struct as its inner value, a
 * unit enum variant as its name in a string, a newtype enum variant as {@code {"Variant": value}},
 * {@code Option::None} as {@code null}, a tuple as an array and {@code Arc<T>} as {@code T}.
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
 */
public final class KataSerdeJsonReader {

  private static final BigInteger U128_LIMIT = BigInteger.ONE.shiftLeft(128);

  private final String defaultServiceName;

  /**
   * Creates a reader.
   *
   * @param defaultServiceName the {@code service.name} given to spans whose resource has none
   */
  public KataSerdeJsonReader(String defaultServiceName) {
    this.defaultServiceName = defaultServiceName;
  }

  /**
   * Reads the one span the parser holds, which must be all the parser holds.
   *
   * @param p a parser before its first token
   * @return the span
   * @throws KataFrameException if the JSON is not a serde {@code SpanData}
   * @throws IOException if the JSON is malformed or exceeds the parser's limits
   */
  public SpanData read(JsonParser p) throws IOException {
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
}
