package dev.spantransport.codec;

import static dev.spantransport.codec.internal.ProtoWire.readFixed64;
import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeFixed32;
import static dev.spantransport.codec.internal.ProtoWire.writeFixed64;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import dev.spantransport.codec.internal.IdentityIntMap;
import dev.spantransport.codec.internal.KeyFieldCache;
import dev.spantransport.codec.internal.OtlpFields;
import dev.spantransport.codec.internal.Utf8;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.function.BiConsumer;

/**
 * Encodes {@link SpanData} into the protobuf bytes of an OTLP {@code ExportTraceServiceRequest}
 * (opentelemetry-proto {@code collector/trace/v1}), written once into a caller's reusable buffer.
 *
 * <p>Encoding takes two steps. {@link #prepare(Collection)} groups the spans by {@link Resource},
 * then by {@link InstrumentationScopeInfo} (both by identity, like OpenTelemetry's own marshalers;
 * groups keep the order in which they are first seen), and computes every nested message length, so
 * the payload length is known before any byte is written to the caller's buffer. Each span is
 * encoded into a reused internal buffer right after it is sized, while its objects are still in the
 * CPU cache; {@link #writeTo(byte[], int)} then writes the enclosing messages and copies the span
 * fields, exactly the computed number of bytes. In steady state neither step allocates: grouping
 * tables, length arrays and the span buffer are kept and reused, strings are measured and written
 * as UTF-8 straight from their characters, and attribute keys come from a bounded cache of their
 * encoded fields. (A {@link Value} attribute of type {@code BYTES} is the one exception: reading it
 * allocates a small {@link ByteBuffer} view.)
 *
 * <p>The bytes are the ones OpenTelemetry Java's {@code TraceRequestMarshaler} writes for the same
 * batch when every span shares one resource and one scope; with several groups, only the order of
 * the groups may differ (OpenTelemetry orders them by identity hash).
 *
 * <p>An encoder is not thread-safe: use one per sending thread. The spans passed to {@code prepare}
 * must not change until the matching {@code writeTo} has returned; the encoder keeps references to
 * them until the next {@code prepare}.
 */
public final class OtlpSpanEncoder {
  private static final int MAX_PAYLOAD = Integer.MAX_VALUE - 8;

  // Single-byte tags (field << 3 | wire type).
  private static final byte TAG_LEN_1 = 0x0A;
  private static final byte TAG_LEN_2 = 0x12;
  private static final byte TAG_LEN_3 = 0x1A;
  private static final byte TAG_LEN_4 = 0x22;
  private static final byte TAG_SPAN_NAME = 0x2A;
  private static final byte TAG_SPAN_KIND = 0x30;
  private static final byte TAG_SPAN_START = 0x39;
  private static final byte TAG_SPAN_END = 0x41;
  private static final byte TAG_SPAN_ATTRIBUTES = 0x4A;
  private static final byte TAG_SPAN_DROPPED_ATTRIBUTES = 0x50;
  private static final byte TAG_SPAN_EVENTS = 0x5A;
  private static final byte TAG_SPAN_DROPPED_EVENTS = 0x60;
  private static final byte TAG_SPAN_LINKS = 0x6A;
  private static final byte TAG_SPAN_DROPPED_LINKS = 0x70;
  private static final byte TAG_SPAN_STATUS = 0x7A;
  // Span.flags = 16, fixed32: tag 133 as a two-byte varint.
  private static final byte TAG_SPAN_FLAGS_0 = (byte) 0x85;
  private static final byte TAG_SPAN_FLAGS_1 = 0x01;
  private static final byte TAG_EVENT_TIME = 0x09;
  private static final byte TAG_EVENT_DROPPED = 0x20;
  private static final byte TAG_LINK_DROPPED = 0x28;
  private static final byte TAG_LINK_FLAGS = 0x35;
  private static final byte TAG_STATUS_CODE = 0x18;
  private static final byte TAG_ANY_BOOL = 0x10;
  private static final byte TAG_ANY_INT = 0x18;
  private static final byte TAG_ANY_DOUBLE = 0x21;
  private static final byte TAG_ANY_ARRAY = 0x2A;
  private static final byte TAG_ANY_KVLIST = 0x32;
  private static final byte TAG_ANY_BYTES = 0x3A;

  private static final byte[] HEX = new byte[128];

  static {
    Arrays.fill(HEX, (byte) 0);
    for (int i = 0; i < 10; i++) {
      HEX['0' + i] = (byte) i;
    }
    for (int i = 0; i < 6; i++) {
      HEX['a' + i] = (byte) (10 + i);
      HEX['A' + i] = (byte) (10 + i);
    }
  }

  // Input and grouping, reused between batches.
  private SpanData[] input = new SpanData[64];
  private SpanData[] ordered = new SpanData[64];
  private int[] spanGroup = new int[64];
  private int spanCount;

  private final IdentityIntMap resourceIndex = new IdentityIntMap(8);
  private final IdentityIntMap scopeFirstGroup = new IdentityIntMap(8);
  private Resource[] resources = new Resource[4];
  private int[] resourceGroupStart = new int[5];
  private int resourceCount;

  private InstrumentationScopeInfo[] groupScope = new InstrumentationScopeInfo[4];
  private int[] groupResource = new int[4];
  private int[] groupNextSameScope = new int[4];
  private int[] groupSpanCount = new int[4];
  private int[] groupSpanStart = new int[4];
  private int[] groupFill = new int[4];
  private int[] groupOrder = new int[4];
  private int[] groupBytesStart = new int[4];
  private int[] groupBytesEnd = new int[4];
  private int groupCount;

  // Every span's field, encoded by prepare() right after it is sized (while its objects are still
  // in the L1 cache); writeTo() copies each group's run of span fields.
  private byte[] spanBytes = new byte[4096];
  private int spanBytesLength;

  // Bounded identity cache of encoded Resource message bodies: resources are immutable and the same
  // few objects come back batch after batch.
  private static final int RESOURCE_CACHE_SIZE = 4;
  private final Resource[] cachedResources = new Resource[RESOURCE_CACHE_SIZE];
  private final byte[][] cachedResourceBodies = new byte[RESOURCE_CACHE_SIZE][];
  private int nextCacheSlot;
  private byte[][] resourceBodies = new byte[4][];

  // Size pass results, consumed in the same order by the write pass.
  private int[] slots = new int[1024];
  private int slotCount;
  private int cursor;
  private int payloadLength;
  private boolean prepared;

  // Attribute keys are a few constants: their encoded fields are measured and encoded once.
  private final KeyFieldCache keyCache = new KeyFieldCache(256, TAG_LEN_1);

  // The ASCII bytes of a trace or span id, decoded eight hex digits at a time.
  private final byte[] hexScratch = new byte[32];

  // Reused visitors: iterating Attributes and TraceState without allocating a lambda per call.
  private final AttributeSizer attributeSizer = new AttributeSizer();
  private final AttributeWriter attributeWriter = new AttributeWriter();
  private final TraceStateSizer traceStateSizer = new TraceStateSizer();
  private final TraceStateWriter traceStateWriter = new TraceStateWriter();

  /** Creates an encoder. It is not thread-safe: use one per sending thread. */
  public OtlpSpanEncoder() {}

  /**
   * Groups {@code spans} and computes the length of their {@code ExportTraceServiceRequest}
   * encoding. The spans must not change until the following {@link #writeTo(byte[], int)} returns.
   *
   * @return the payload length N in bytes that {@link #writeTo(byte[], int)} will write
   * @throws IllegalArgumentException if the encoding would be longer than {@code 2^31 - 9} bytes
   */
  public int prepare(Collection<SpanData> spans) {
    Objects.requireNonNull(spans, "spans");
    prepared = false;
    collect(spans);
    group();
    encodeResources();
    slotCount = 0;
    spanBytesLength = 0;
    long total = 0;
    for (int r = 0; r < resourceCount; r++) {
      int rs = sizeResourceSpans(r);
      if (rs < 0) {
        throw new IllegalArgumentException(
            "encoded batch must be at most " + MAX_PAYLOAD + " bytes");
      }
      total += 1 + varintSize(rs) + (long) rs;
    }
    if (total > MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "encoded batch must be at most " + MAX_PAYLOAD + " bytes: " + total);
    }
    payloadLength = (int) total;
    prepared = true;
    return payloadLength;
  }

  /**
   * Writes the payload computed by the last {@link #prepare(Collection)} into {@code dst} starting
   * at {@code offset}. May be called more than once for the same prepare.
   *
   * @return the number of bytes written, always the value {@code prepare} returned
   * @throws IllegalStateException if {@code prepare} has not been called, or the spans changed
   *     since
   * @throws IndexOutOfBoundsException if {@code dst} has fewer than N bytes from {@code offset}
   */
  public int writeTo(byte[] dst, int offset) {
    Objects.requireNonNull(dst, "dst");
    if (!prepared) {
      throw new IllegalStateException("prepare(spans) must be called before writeTo");
    }
    if (offset < 0 || offset > dst.length || dst.length - offset < payloadLength) {
      throw new IndexOutOfBoundsException(
          "destination must have "
              + payloadLength
              + " bytes from offset "
              + offset
              + ": has "
              + (offset < 0 || offset > dst.length ? 0 : dst.length - offset)
              + " (array length "
              + dst.length
              + ")");
    }
    cursor = 0;
    int p = offset;
    for (int r = 0; r < resourceCount; r++) {
      p = writeResourceSpans(dst, p, r);
    }
    if (p - offset != payloadLength || cursor != slotCount) {
      throw new IllegalStateException(
          "spans changed between prepare() and writeTo(): prepared "
              + payloadLength
              + " bytes, wrote "
              + (p - offset));
    }
    return payloadLength;
  }

  /**
   * Encodes {@code spans} into a new array of exactly the payload length. Convenience for tests and
   * cold paths; the hot path is {@link #prepare(Collection)} plus {@link #writeTo(byte[], int)}.
   */
  public byte[] encode(Collection<SpanData> spans) {
    byte[] result = new byte[prepare(spans)];
    writeTo(result, 0);
    return result;
  }

  /** Number of spans in the last {@link #prepare(Collection)}. */
  public int spanCount() {
    return spanCount;
  }

  /** Payload length computed by the last {@link #prepare(Collection)}. */
  public int payloadLength() {
    return payloadLength;
  }

  @Override
  public String toString() {
    return "OtlpSpanEncoder{spanCount="
        + spanCount
        + ", payloadLength="
        + payloadLength
        + ", resources="
        + resourceCount
        + ", groups="
        + groupCount
        + "}";
  }

  /**
   * Encodes {@code attributes} as repeated KeyValue fields with field number 1 (the shape of {@code
   * Resource.attributes}). Used by {@link OtlpResourceRewriter}; not a hot path.
   */
  byte[] encodeAttributeFields(Attributes attributes) {
    prepared = false;
    slotCount = 0;
    int size = sizeAttributes(attributes);
    byte[] out = new byte[size];
    cursor = 0;
    int end = writeAttributes(out, 0, TAG_LEN_1, attributes);
    if (end != size || cursor != slotCount) {
      throw new IllegalStateException("attributes changed while being encoded");
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Grouping

  private void collect(Collection<SpanData> spans) {
    int n = spans.size();
    if (input.length < n) {
      int capacity = Math.max(n, input.length * 2);
      input = new SpanData[capacity];
      ordered = new SpanData[capacity];
      spanGroup = new int[capacity];
    } else if (spanCount > n) {
      // drop references to the spans of an earlier, larger batch
      Arrays.fill(ordered, n, spanCount, null);
    }
    if (spans instanceof List && spans instanceof RandomAccess) {
      List<SpanData> list = (List<SpanData>) spans;
      for (int i = 0; i < n; i++) {
        input[i] = Objects.requireNonNull(list.get(i), "span");
      }
    } else {
      int i = 0;
      for (SpanData span : spans) {
        if (i == n) {
          throw new IllegalArgumentException("spans changed size while being read");
        }
        input[i++] = Objects.requireNonNull(span, "span");
      }
      n = i;
    }
    spanCount = n;
  }

  private void group() {
    resourceIndex.clear();
    scopeFirstGroup.clear();
    Arrays.fill(resources, 0, resourceCount, null);
    Arrays.fill(groupScope, 0, groupCount, null);
    resourceCount = 0;
    groupCount = 0;
    Resource lastResource = null;
    InstrumentationScopeInfo lastScope = null;
    int lastGroup = -1;
    for (int i = 0; i < spanCount; i++) {
      SpanData span = input[i];
      Resource resource = span.getResource();
      InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
      int g;
      if (resource == lastResource && scope == lastScope && lastGroup >= 0) {
        g = lastGroup;
      } else {
        g = findOrAddGroup(resource, scope);
        lastResource = resource;
        lastScope = scope;
        lastGroup = g;
      }
      spanGroup[i] = g;
      groupSpanCount[g]++;
    }
    // Order groups by resource (first seen), then by first sight within the resource.
    Arrays.fill(resourceGroupStart, 0, resourceCount + 1, 0);
    for (int g = 0; g < groupCount; g++) {
      resourceGroupStart[groupResource[g] + 1]++;
    }
    for (int r = 0; r < resourceCount; r++) {
      resourceGroupStart[r + 1] += resourceGroupStart[r];
    }
    // groupFill doubles as the per-resource fill counter here.
    Arrays.fill(groupFill, 0, Math.max(resourceCount, groupCount), 0);
    for (int g = 0; g < groupCount; g++) {
      int r = groupResource[g];
      groupOrder[resourceGroupStart[r] + groupFill[r]++] = g;
    }
    int start = 0;
    for (int k = 0; k < groupCount; k++) {
      int g = groupOrder[k];
      groupSpanStart[g] = start;
      start += groupSpanCount[g];
    }
    Arrays.fill(groupFill, 0, Math.max(resourceCount, groupCount), 0);
    for (int i = 0; i < spanCount; i++) {
      int g = spanGroup[i];
      ordered[groupSpanStart[g] + groupFill[g]++] = input[i];
      input[i] = null;
    }
  }

  private void encodeResources() {
    if (resourceBodies.length < resourceCount) {
      resourceBodies = new byte[Math.max(resourceCount, resourceBodies.length * 2)][];
    }
    for (int r = 0; r < resourceCount; r++) {
      resourceBodies[r] = resourceBody(resources[r]);
    }
  }

  private byte[] resourceBody(Resource resource) {
    for (int i = 0; i < RESOURCE_CACHE_SIZE; i++) {
      if (cachedResources[i] == resource) {
        return cachedResourceBodies[i];
      }
    }
    slotCount = 0;
    Attributes attributes = resource.getAttributes();
    byte[] body = new byte[sizeAttributes(attributes)];
    cursor = 0;
    writeAttributes(body, 0, TAG_LEN_1, attributes);
    slotCount = 0;
    int slot = nextCacheSlot;
    nextCacheSlot = (slot + 1) % RESOURCE_CACHE_SIZE;
    cachedResources[slot] = resource;
    cachedResourceBodies[slot] = body;
    return body;
  }

  private int findOrAddGroup(Resource resource, InstrumentationScopeInfo scope) {
    int r = resourceIndex.get(resource);
    if (r < 0) {
      r = resourceCount++;
      if (r == resources.length) {
        resources = Arrays.copyOf(resources, r * 2);
      }
      if (resourceCount + 1 > resourceGroupStart.length) {
        resourceGroupStart = Arrays.copyOf(resourceGroupStart, resourceGroupStart.length * 2);
      }
      resources[r] = resource;
      resourceIndex.put(resource, r);
    }
    int head = scopeFirstGroup.get(scope);
    for (int g = head; g >= 0; g = groupNextSameScope[g]) {
      if (groupResource[g] == r) {
        return g;
      }
    }
    int g = groupCount++;
    if (g == groupScope.length) {
      int capacity = g * 2;
      groupScope = Arrays.copyOf(groupScope, capacity);
      groupResource = Arrays.copyOf(groupResource, capacity);
      groupNextSameScope = Arrays.copyOf(groupNextSameScope, capacity);
      groupSpanCount = Arrays.copyOf(groupSpanCount, capacity);
      groupSpanStart = Arrays.copyOf(groupSpanStart, capacity);
      groupFill = Arrays.copyOf(groupFill, capacity);
      groupOrder = Arrays.copyOf(groupOrder, capacity);
      groupBytesStart = Arrays.copyOf(groupBytesStart, capacity);
      groupBytesEnd = Arrays.copyOf(groupBytesEnd, capacity);
    }
    if (resourceCount > groupFill.length) {
      groupFill = Arrays.copyOf(groupFill, Math.max(resourceCount, groupFill.length * 2));
    }
    groupScope[g] = scope;
    groupResource[g] = r;
    groupSpanCount[g] = 0;
    groupNextSameScope[g] = head;
    if (head >= 0) {
      // keep the chain head; insert after it so lookups stay cheap
      groupNextSameScope[g] = groupNextSameScope[head];
      groupNextSameScope[head] = g;
    } else {
      scopeFirstGroup.put(scope, g);
    }
    return g;
  }

  // ---------------------------------------------------------------------------------------------
  // Size pass: every nested message length and every string's UTF-8 length goes into `slots`, in
  // the order the write pass needs them.

  private int reserve() {
    if (slotCount == slots.length) {
      slots = Arrays.copyOf(slots, slots.length * 2);
    }
    return slotCount++;
  }

  private static int field(int bodySize) {
    return 1 + varintSize(bodySize) + bodySize;
  }

  private int sizeString(String s) {
    int encoded = Utf8.encodedLength(s);
    int slot = reserve();
    slots[slot] = encoded;
    int length = Utf8.byteLength(encoded);
    return varintSize(length) + length;
  }

  private int sizeResourceSpans(int r) {
    int slot = reserve();
    Resource resource = resources[r];
    int size = field(resourceBodies[r].length);
    for (int k = resourceGroupStart[r]; k < resourceGroupStart[r + 1]; k++) {
      size += field(sizeScopeSpans(groupOrder[k]));
    }
    String schemaUrl = resource.getSchemaUrl();
    if (schemaUrl != null && !schemaUrl.isEmpty()) {
      size += 1 + sizeString(schemaUrl);
    }
    slots[slot] = size;
    return size;
  }

  private int sizeScopeSpans(int g) {
    int slot = reserve();
    InstrumentationScopeInfo scope = groupScope[g];
    int size = field(sizeScope(scope));
    int end = groupSpanStart[g] + groupSpanCount[g];
    groupBytesStart[g] = spanBytesLength;
    for (int i = groupSpanStart[g]; i < end; i++) {
      size += encodeSpan(ordered[i]);
    }
    groupBytesEnd[g] = spanBytesLength;
    String schemaUrl = scope.getSchemaUrl();
    if (schemaUrl != null && !schemaUrl.isEmpty()) {
      size += 1 + sizeString(schemaUrl);
    }
    slots[slot] = size;
    return size;
  }

  /**
   * Sizes {@code span} and at once, while its objects are still in the L1 cache, writes its whole
   * field (tag, length, body) to {@code spanBytes}; its slots are then released. Returns the field
   * length.
   */
  private int encodeSpan(SpanData span) {
    int mark = slotCount;
    int size = sizeSpan(span);
    if (size < 0) {
      throw new IllegalArgumentException("encoded batch must be at most " + MAX_PAYLOAD + " bytes");
    }
    int fieldLength = field(size);
    int p = spanBytesLength;
    if ((long) p + fieldLength > MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "encoded batch must be at most " + MAX_PAYLOAD + " bytes: " + ((long) p + fieldLength));
    }
    if (spanBytes.length - p < fieldLength) {
      long capacity = Math.max((long) spanBytes.length * 2, (long) p + fieldLength);
      spanBytes = Arrays.copyOf(spanBytes, (int) Math.min(capacity, MAX_PAYLOAD));
    }
    byte[] dst = spanBytes;
    cursor = mark;
    dst[p++] = TAG_LEN_2;
    p = writeSpan(dst, p, span);
    if (p - spanBytesLength != fieldLength || cursor != slotCount) {
      throw new IllegalStateException("span changed while being encoded: " + span.getName());
    }
    spanBytesLength = p;
    slotCount = mark;
    return fieldLength;
  }

  private int sizeScope(InstrumentationScopeInfo scope) {
    int slot = reserve();
    int size = 0;
    String name = scope.getName();
    if (!name.isEmpty()) {
      size += 1 + sizeString(name);
    }
    String version = scope.getVersion();
    if (version != null && !version.isEmpty()) {
      size += 1 + sizeString(version);
    }
    size += sizeAttributes(scope.getAttributes());
    slots[slot] = size;
    return size;
  }

  private int sizeSpan(SpanData span) {
    int slot = reserve();
    SpanContext context = span.getSpanContext();
    int size = 18 + 10; // trace id (1 + 1 + 16) and span id (1 + 1 + 8)
    TraceState traceState = context.getTraceState();
    if (!traceState.isEmpty()) {
      size += 1 + sizeTraceState(traceState);
    }
    if (span.getParentSpanContext().isValid()) {
      size += 10;
    }
    String name = span.getName();
    if (!name.isEmpty()) {
      size += 1 + sizeString(name);
    }
    size += 2; // kind, never 0
    if (span.getStartEpochNanos() != 0) {
      size += 9;
    }
    if (span.getEndEpochNanos() != 0) {
      size += 9;
    }
    Attributes attributes = span.getAttributes();
    size += sizeAttributes(attributes);
    int dropped = span.getTotalAttributeCount() - attributes.size();
    if (dropped != 0) {
      size += 1 + varintSize(dropped);
    }
    List<EventData> events = span.getEvents();
    int eventCount = events.size();
    if (eventCount > 0) {
      if (events instanceof RandomAccess) {
        for (int i = 0; i < eventCount; i++) {
          size += field(sizeEvent(events.get(i)));
        }
      } else {
        for (EventData event : events) {
          size += field(sizeEvent(event));
        }
      }
    }
    dropped = span.getTotalRecordedEvents() - eventCount;
    if (dropped != 0) {
      size += 1 + varintSize(dropped);
    }
    List<LinkData> links = span.getLinks();
    int linkCount = links.size();
    if (linkCount > 0) {
      if (links instanceof RandomAccess) {
        for (int i = 0; i < linkCount; i++) {
          size += field(sizeLink(links.get(i)));
        }
      } else {
        for (LinkData link : links) {
          size += field(sizeLink(link));
        }
      }
    }
    dropped = span.getTotalRecordedLinks() - linkCount;
    if (dropped != 0) {
      size += 1 + varintSize(dropped);
    }
    size += field(sizeStatus(span.getStatus()));
    size += 6; // flags: two-byte tag + fixed32
    slots[slot] = size;
    return size;
  }

  private int sizeTraceState(TraceState traceState) {
    traceStateSizer.bytes = 0;
    traceStateSizer.first = true;
    traceState.forEach(traceStateSizer);
    int length = traceStateSizer.bytes;
    int slot = reserve();
    slots[slot] = length;
    return varintSize(length) + length;
  }

  private int sizeEvent(EventData event) {
    int slot = reserve();
    int size = 0;
    if (event.getEpochNanos() != 0) {
      size += 9;
    }
    String name = event.getName();
    if (!name.isEmpty()) {
      size += 1 + sizeString(name);
    }
    Attributes attributes = event.getAttributes();
    size += sizeAttributes(attributes);
    int dropped = event.getTotalAttributeCount() - attributes.size();
    if (dropped != 0) {
      size += 1 + varintSize(dropped);
    }
    slots[slot] = size;
    return size;
  }

  private int sizeLink(LinkData link) {
    int slot = reserve();
    int size = 18 + 10;
    SpanContext context = link.getSpanContext();
    TraceState traceState = context.getTraceState();
    if (!traceState.isEmpty()) {
      size += 1 + sizeTraceState(traceState);
    }
    Attributes attributes = link.getAttributes();
    size += sizeAttributes(attributes);
    int dropped = link.getTotalAttributeCount() - attributes.size();
    if (dropped != 0) {
      size += 1 + varintSize(dropped);
    }
    size += 5; // flags: tag + fixed32
    slots[slot] = size;
    return size;
  }

  private int sizeStatus(StatusData status) {
    int slot = reserve();
    int size = 0;
    String description = status.getDescription();
    if (!description.isEmpty()) {
      size += 1 + sizeString(description);
    }
    if (statusCode(status.getStatusCode()) != 0) {
      size += 2;
    }
    slots[slot] = size;
    return size;
  }

  /** Sum of the repeated KeyValue fields (single-byte tag) for {@code attributes}. */
  private int sizeAttributes(Attributes attributes) {
    if (attributes.isEmpty()) {
      return 0;
    }
    AttributeSizer sizer = attributeSizer;
    int saved = sizer.total;
    sizer.total = 0;
    attributes.forEach(sizer);
    int size = sizer.total;
    sizer.total = saved;
    return size;
  }

  private int sizeKeyValue(String key, AttributeType type, Object value) {
    int slot = reserve();
    int size = key.isEmpty() ? 0 : sizeKey(key);
    size += field(sizeAttributeValue(type, value));
    slots[slot] = size;
    return size;
  }

  /**
   * Size of the key field (tag included). Leaves the key's cache entry index in a slot, or -1
   * followed by the key's string slot when the key is not cached.
   */
  private int sizeKey(String key) {
    int k = keyCache.indexOrAdd(key);
    int slot = reserve();
    slots[slot] = k;
    return k < 0 ? 1 + sizeString(key) : keyCache.fieldLength(k);
  }

  private int sizeAttributeValue(AttributeType type, Object value) {
    switch (type) {
      case STRING:
        return 1 + sizeString((String) value);
      case BOOLEAN:
        return 2;
      case LONG:
        return 1 + varintSize(((Long) value).longValue());
      case DOUBLE:
        return 9;
      case STRING_ARRAY:
      case BOOLEAN_ARRAY:
      case LONG_ARRAY:
      case DOUBLE_ARRAY:
        return sizeScalarArray(type, (List<?>) value);
      case VALUE:
        return sizeValue((Value<?>) value);
    }
    throw new IllegalArgumentException("unsupported attribute type: " + type);
  }

  private int sizeScalarArray(AttributeType type, List<?> list) {
    int slot = reserve();
    int size = 0;
    int n = list.size();
    for (int i = 0; i < n; i++) {
      Object element = list.get(i);
      int element_size;
      switch (type) {
        case STRING_ARRAY:
          element_size = 1 + sizeString((String) element);
          break;
        case BOOLEAN_ARRAY:
          element_size = 2;
          break;
        case LONG_ARRAY:
          element_size = 1 + varintSize(((Long) element).longValue());
          break;
        default:
          element_size = 9;
          break;
      }
      size += field(element_size);
    }
    slots[slot] = size;
    return field(size);
  }

  @SuppressWarnings("unchecked")
  private int sizeValue(Value<?> value) {
    switch (value.getType()) {
      case STRING:
        return 1 + sizeString((String) value.getValue());
      case BOOLEAN:
        return 2;
      case LONG:
        return 1 + varintSize(((Long) value.getValue()).longValue());
      case DOUBLE:
        return 9;
      case ARRAY:
        {
          int slot = reserve();
          List<Value<?>> list = (List<Value<?>>) value.getValue();
          int size = 0;
          for (int i = 0, n = list.size(); i < n; i++) {
            size += field(sizeValue(list.get(i)));
          }
          slots[slot] = size;
          return field(size);
        }
      case KEY_VALUE_LIST:
        {
          int slot = reserve();
          List<KeyValue> list = (List<KeyValue>) value.getValue();
          int size = 0;
          for (int i = 0, n = list.size(); i < n; i++) {
            KeyValue kv = list.get(i);
            int kvSlot = reserve();
            int kvSize = kv.getKey().isEmpty() ? 0 : 1 + sizeString(kv.getKey());
            kvSize += field(sizeValue(kv.getValue()));
            slots[kvSlot] = kvSize;
            size += field(kvSize);
          }
          slots[slot] = size;
          return field(size);
        }
      case BYTES:
        {
          int length = ((ByteBuffer) value.getValue()).remaining();
          return 1 + varintSize(length) + length;
        }
      case EMPTY:
        return 0;
    }
    throw new IllegalArgumentException("unsupported value type: " + value.getType());
  }

  private final class AttributeSizer implements BiConsumer<AttributeKey<?>, Object> {
    int total;

    @Override
    public void accept(AttributeKey<?> key, Object value) {
      total += field(sizeKeyValue(key.getKey(), key.getType(), value));
    }
  }

  private static final class TraceStateSizer implements BiConsumer<String, String> {
    int bytes;
    boolean first;

    @Override
    public void accept(String key, String value) {
      if (!first) {
        bytes++;
      }
      first = false;
      bytes += Utf8.byteLength(Utf8.encodedLength(key)) + 1;
      bytes += Utf8.byteLength(Utf8.encodedLength(value));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Write pass

  private int writeLength(byte[] dst, int p) {
    return writeVarint(dst, p, slots[cursor++]);
  }

  private int writeString(byte[] dst, int p, String s) {
    int encoded = slots[cursor++];
    p = writeVarint(dst, p, Utf8.byteLength(encoded));
    return Utf8.write(dst, p, s, encoded);
  }

  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): an intrinsic copy of ASCII
  private int writeHexId(byte[] dst, int p, String hex, int bytes) {
    int digits = 2 * bytes;
    if (hex.length() == digits) {
      byte[] ascii = hexScratch;
      hex.getBytes(0, digits, ascii, 0);
      for (int i = 0; i < digits; i += 8) {
        writeFixed32(dst, p + (i >> 1), hexToBytes(readFixed64(ascii, i)));
      }
      return p + bytes;
    }
    return writeHexIdSlowly(dst, p, hex, bytes);
  }

  /**
   * Decodes eight hex digits (ASCII, first digit in the lowest byte) into four bytes (first byte
   * lowest), like the {@code HEX} table does for every valid digit: a digit's value is its low
   * nibble, plus 9 for letters (bit 6 set).
   */
  private static int hexToBytes(long ascii) {
    long nibbles = (ascii & 0x0F0F0F0F0F0F0F0FL) + ((ascii >>> 6) & 0x0101010101010101L) * 9;
    long pairs = ((nibbles << 4) | (nibbles >>> 8)) & 0x00FF00FF00FF00FFL;
    pairs = (pairs | (pairs >>> 8)) & 0x0000FFFF0000FFFFL;
    return (int) (pairs | (pairs >>> 16));
  }

  private static int writeHexIdSlowly(byte[] dst, int p, String hex, int bytes) {
    byte[] table = HEX;
    for (int i = 0; i < bytes; i++) {
      int hi = table[hex.charAt(2 * i) & 0x7F];
      int lo = table[hex.charAt(2 * i + 1) & 0x7F];
      dst[p + i] = (byte) ((hi << 4) | lo);
    }
    return p + bytes;
  }

  private int writeResourceSpans(byte[] dst, int p, int r) {
    dst[p++] = TAG_LEN_1;
    p = writeLength(dst, p);
    Resource resource = resources[r];
    byte[] body = resourceBodies[r];
    dst[p++] = TAG_LEN_1;
    p = writeVarint(dst, p, body.length);
    System.arraycopy(body, 0, dst, p, body.length);
    p += body.length;
    for (int k = resourceGroupStart[r]; k < resourceGroupStart[r + 1]; k++) {
      dst[p++] = TAG_LEN_2;
      p = writeScopeSpans(dst, p, groupOrder[k]);
    }
    String schemaUrl = resource.getSchemaUrl();
    if (schemaUrl != null && !schemaUrl.isEmpty()) {
      dst[p++] = TAG_LEN_3;
      p = writeString(dst, p, schemaUrl);
    }
    return p;
  }

  private int writeScopeSpans(byte[] dst, int p, int g) {
    p = writeLength(dst, p);
    InstrumentationScopeInfo scope = groupScope[g];
    dst[p++] = TAG_LEN_1;
    p = writeLength(dst, p);
    String name = scope.getName();
    if (!name.isEmpty()) {
      dst[p++] = TAG_LEN_1;
      p = writeString(dst, p, name);
    }
    String version = scope.getVersion();
    if (version != null && !version.isEmpty()) {
      dst[p++] = TAG_LEN_2;
      p = writeString(dst, p, version);
    }
    p = writeAttributes(dst, p, TAG_LEN_3, scope.getAttributes());
    int start = groupBytesStart[g];
    int length = groupBytesEnd[g] - start;
    System.arraycopy(spanBytes, start, dst, p, length);
    p += length;
    String schemaUrl = scope.getSchemaUrl();
    if (schemaUrl != null && !schemaUrl.isEmpty()) {
      dst[p++] = TAG_LEN_3;
      p = writeString(dst, p, schemaUrl);
    }
    return p;
  }

  private int writeSpan(byte[] dst, int p, SpanData span) {
    p = writeLength(dst, p);
    SpanContext context = span.getSpanContext();
    dst[p++] = TAG_LEN_1;
    dst[p++] = 16;
    p = writeHexId(dst, p, context.getTraceId(), 16);
    dst[p++] = TAG_LEN_2;
    dst[p++] = 8;
    p = writeHexId(dst, p, context.getSpanId(), 8);
    TraceState traceState = context.getTraceState();
    if (!traceState.isEmpty()) {
      dst[p++] = TAG_LEN_3;
      p = writeTraceState(dst, p, traceState);
    }
    SpanContext parent = span.getParentSpanContext();
    if (parent.isValid()) {
      dst[p++] = TAG_LEN_4;
      dst[p++] = 8;
      p = writeHexId(dst, p, parent.getSpanId(), 8);
    }
    String name = span.getName();
    if (!name.isEmpty()) {
      dst[p++] = TAG_SPAN_NAME;
      p = writeString(dst, p, name);
    }
    dst[p++] = TAG_SPAN_KIND;
    dst[p++] = (byte) spanKind(span.getKind());
    long start = span.getStartEpochNanos();
    if (start != 0) {
      dst[p++] = TAG_SPAN_START;
      p = writeFixed64(dst, p, start);
    }
    long end = span.getEndEpochNanos();
    if (end != 0) {
      dst[p++] = TAG_SPAN_END;
      p = writeFixed64(dst, p, end);
    }
    Attributes attributes = span.getAttributes();
    p = writeAttributes(dst, p, TAG_SPAN_ATTRIBUTES, attributes);
    int dropped = span.getTotalAttributeCount() - attributes.size();
    if (dropped != 0) {
      dst[p++] = TAG_SPAN_DROPPED_ATTRIBUTES;
      p = writeVarint(dst, p, dropped);
    }
    List<EventData> events = span.getEvents();
    int eventCount = events.size();
    if (eventCount > 0) {
      if (events instanceof RandomAccess) {
        for (int i = 0; i < eventCount; i++) {
          dst[p++] = TAG_SPAN_EVENTS;
          p = writeEvent(dst, p, events.get(i));
        }
      } else {
        for (EventData event : events) {
          dst[p++] = TAG_SPAN_EVENTS;
          p = writeEvent(dst, p, event);
        }
      }
    }
    dropped = span.getTotalRecordedEvents() - eventCount;
    if (dropped != 0) {
      dst[p++] = TAG_SPAN_DROPPED_EVENTS;
      p = writeVarint(dst, p, dropped);
    }
    List<LinkData> links = span.getLinks();
    int linkCount = links.size();
    if (linkCount > 0) {
      if (links instanceof RandomAccess) {
        for (int i = 0; i < linkCount; i++) {
          dst[p++] = TAG_SPAN_LINKS;
          p = writeLink(dst, p, links.get(i));
        }
      } else {
        for (LinkData link : links) {
          dst[p++] = TAG_SPAN_LINKS;
          p = writeLink(dst, p, link);
        }
      }
    }
    dropped = span.getTotalRecordedLinks() - linkCount;
    if (dropped != 0) {
      dst[p++] = TAG_SPAN_DROPPED_LINKS;
      p = writeVarint(dst, p, dropped);
    }
    dst[p++] = TAG_SPAN_STATUS;
    p = writeStatus(dst, p, span.getStatus());
    dst[p++] = TAG_SPAN_FLAGS_0;
    dst[p++] = TAG_SPAN_FLAGS_1;
    return writeFixed32(dst, p, flags(context.getTraceFlags().asByte(), parent.isRemote()));
  }

  private static int flags(byte traceFlags, boolean remote) {
    return (traceFlags & OtlpFields.FLAGS_TRACE_FLAGS_MASK)
        | OtlpFields.FLAGS_CONTEXT_HAS_IS_REMOTE
        | (remote ? OtlpFields.FLAGS_CONTEXT_IS_REMOTE : 0);
  }

  private int writeTraceState(byte[] dst, int p, TraceState traceState) {
    p = writeVarint(dst, p, slots[cursor++]);
    TraceStateWriter writer = traceStateWriter;
    writer.dst = dst;
    writer.pos = p;
    writer.first = true;
    traceState.forEach(writer);
    writer.dst = null;
    return writer.pos;
  }

  private int writeEvent(byte[] dst, int p, EventData event) {
    p = writeLength(dst, p);
    long time = event.getEpochNanos();
    if (time != 0) {
      dst[p++] = TAG_EVENT_TIME;
      p = writeFixed64(dst, p, time);
    }
    String name = event.getName();
    if (!name.isEmpty()) {
      dst[p++] = TAG_LEN_2;
      p = writeString(dst, p, name);
    }
    Attributes attributes = event.getAttributes();
    p = writeAttributes(dst, p, TAG_LEN_3, attributes);
    int dropped = event.getTotalAttributeCount() - attributes.size();
    if (dropped != 0) {
      dst[p++] = TAG_EVENT_DROPPED;
      p = writeVarint(dst, p, dropped);
    }
    return p;
  }

  private int writeLink(byte[] dst, int p, LinkData link) {
    p = writeLength(dst, p);
    SpanContext context = link.getSpanContext();
    dst[p++] = TAG_LEN_1;
    dst[p++] = 16;
    p = writeHexId(dst, p, context.getTraceId(), 16);
    dst[p++] = TAG_LEN_2;
    dst[p++] = 8;
    p = writeHexId(dst, p, context.getSpanId(), 8);
    TraceState traceState = context.getTraceState();
    if (!traceState.isEmpty()) {
      dst[p++] = TAG_LEN_3;
      p = writeTraceState(dst, p, traceState);
    }
    Attributes attributes = link.getAttributes();
    p = writeAttributes(dst, p, TAG_LEN_4, attributes);
    int dropped = link.getTotalAttributeCount() - attributes.size();
    if (dropped != 0) {
      dst[p++] = TAG_LINK_DROPPED;
      p = writeVarint(dst, p, dropped);
    }
    dst[p++] = TAG_LINK_FLAGS;
    return writeFixed32(dst, p, flags(context.getTraceFlags().asByte(), context.isRemote()));
  }

  private int writeStatus(byte[] dst, int p, StatusData status) {
    p = writeLength(dst, p);
    String description = status.getDescription();
    if (!description.isEmpty()) {
      dst[p++] = TAG_LEN_2;
      p = writeString(dst, p, description);
    }
    int code = statusCode(status.getStatusCode());
    if (code != 0) {
      dst[p++] = TAG_STATUS_CODE;
      dst[p++] = (byte) code;
    }
    return p;
  }

  private int writeAttributes(byte[] dst, int p, byte tag, Attributes attributes) {
    if (attributes.isEmpty()) {
      return p;
    }
    AttributeWriter writer = attributeWriter;
    writer.dst = dst;
    writer.pos = p;
    writer.tag = tag;
    attributes.forEach(writer);
    writer.dst = null;
    return writer.pos;
  }

  private int writeKeyValue(byte[] dst, int p, String key, AttributeType type, Object value) {
    p = writeLength(dst, p);
    if (!key.isEmpty()) {
      int k = slots[cursor++];
      if (k >= 0 && keyCache.holds(k, key)) {
        p = keyCache.writeField(k, dst, p);
      } else if (k >= 0) {
        // The entry was replaced (by another key of the same span) since the size pass.
        int encoded = Utf8.encodedLength(key);
        dst[p++] = TAG_LEN_1;
        p = writeVarint(dst, p, Utf8.byteLength(encoded));
        p = Utf8.write(dst, p, key, encoded);
      } else {
        dst[p++] = TAG_LEN_1;
        p = writeString(dst, p, key);
      }
    }
    dst[p++] = TAG_LEN_2;
    return writeAttributeValue(dst, p, type, value);
  }

  /** Writes the length-prefixed AnyValue body for an attribute value. */
  private int writeAttributeValue(byte[] dst, int p, AttributeType type, Object value) {
    switch (type) {
      case STRING:
        {
          String s = (String) value;
          int encoded = slots[cursor];
          int length = Utf8.byteLength(encoded);
          p = writeVarint(dst, p, 1 + varintSize(length) + length);
          dst[p++] = TAG_LEN_1;
          return writeString(dst, p, s);
        }
      case BOOLEAN:
        dst[p++] = 2;
        dst[p++] = TAG_ANY_BOOL;
        dst[p++] = (byte) (((Boolean) value) ? 1 : 0);
        return p;
      case LONG:
        {
          long v = (Long) value;
          dst[p++] = (byte) (1 + varintSize(v));
          dst[p++] = TAG_ANY_INT;
          return writeVarint(dst, p, v);
        }
      case DOUBLE:
        dst[p++] = 9;
        dst[p++] = TAG_ANY_DOUBLE;
        return writeFixed64(dst, p, Double.doubleToRawLongBits((Double) value));
      case STRING_ARRAY:
      case BOOLEAN_ARRAY:
      case LONG_ARRAY:
      case DOUBLE_ARRAY:
        return writeScalarArray(dst, p, type, (List<?>) value);
      case VALUE:
        return writeValue(dst, p, (Value<?>) value);
    }
    throw new IllegalArgumentException("unsupported attribute type: " + type);
  }

  private int writeScalarArray(byte[] dst, int p, AttributeType type, List<?> list) {
    int arraySize = slots[cursor++];
    p = writeVarint(dst, p, 1 + varintSize(arraySize) + arraySize);
    dst[p++] = TAG_ANY_ARRAY;
    p = writeVarint(dst, p, arraySize);
    for (int i = 0, n = list.size(); i < n; i++) {
      Object element = list.get(i);
      dst[p++] = TAG_LEN_1;
      switch (type) {
        case STRING_ARRAY:
          {
            int length = Utf8.byteLength(slots[cursor]);
            p = writeVarint(dst, p, 1 + varintSize(length) + length);
            dst[p++] = TAG_LEN_1;
            p = writeString(dst, p, (String) element);
            break;
          }
        case BOOLEAN_ARRAY:
          dst[p++] = 2;
          dst[p++] = TAG_ANY_BOOL;
          dst[p++] = (byte) (((Boolean) element) ? 1 : 0);
          break;
        case LONG_ARRAY:
          {
            long v = (Long) element;
            dst[p++] = (byte) (1 + varintSize(v));
            dst[p++] = TAG_ANY_INT;
            p = writeVarint(dst, p, v);
            break;
          }
        default:
          dst[p++] = 9;
          dst[p++] = TAG_ANY_DOUBLE;
          p = writeFixed64(dst, p, Double.doubleToRawLongBits((Double) element));
          break;
      }
    }
    return p;
  }

  /** Writes the length-prefixed AnyValue body for {@code value}. */
  @SuppressWarnings("unchecked")
  private int writeValue(byte[] dst, int p, Value<?> value) {
    switch (value.getType()) {
      case STRING:
        {
          int length = Utf8.byteLength(slots[cursor]);
          p = writeVarint(dst, p, 1 + varintSize(length) + length);
          dst[p++] = TAG_LEN_1;
          return writeString(dst, p, (String) value.getValue());
        }
      case BOOLEAN:
        dst[p++] = 2;
        dst[p++] = TAG_ANY_BOOL;
        dst[p++] = (byte) (((Boolean) value.getValue()) ? 1 : 0);
        return p;
      case LONG:
        {
          long v = (Long) value.getValue();
          dst[p++] = (byte) (1 + varintSize(v));
          dst[p++] = TAG_ANY_INT;
          return writeVarint(dst, p, v);
        }
      case DOUBLE:
        dst[p++] = 9;
        dst[p++] = TAG_ANY_DOUBLE;
        return writeFixed64(dst, p, Double.doubleToRawLongBits((Double) value.getValue()));
      case ARRAY:
        {
          int size = slots[cursor++];
          p = writeVarint(dst, p, 1 + varintSize(size) + size);
          dst[p++] = TAG_ANY_ARRAY;
          p = writeVarint(dst, p, size);
          List<Value<?>> list = (List<Value<?>>) value.getValue();
          for (int i = 0, n = list.size(); i < n; i++) {
            dst[p++] = TAG_LEN_1;
            p = writeValue(dst, p, list.get(i));
          }
          return p;
        }
      case KEY_VALUE_LIST:
        {
          int size = slots[cursor++];
          p = writeVarint(dst, p, 1 + varintSize(size) + size);
          dst[p++] = TAG_ANY_KVLIST;
          p = writeVarint(dst, p, size);
          List<KeyValue> list = (List<KeyValue>) value.getValue();
          for (int i = 0, n = list.size(); i < n; i++) {
            KeyValue kv = list.get(i);
            dst[p++] = TAG_LEN_1;
            p = writeLength(dst, p);
            if (!kv.getKey().isEmpty()) {
              dst[p++] = TAG_LEN_1;
              p = writeString(dst, p, kv.getKey());
            }
            dst[p++] = TAG_LEN_2;
            p = writeValue(dst, p, kv.getValue());
          }
          return p;
        }
      case BYTES:
        {
          ByteBuffer bytes = (ByteBuffer) value.getValue();
          int length = bytes.remaining();
          p = writeVarint(dst, p, 1 + varintSize(length) + length);
          dst[p++] = TAG_ANY_BYTES;
          p = writeVarint(dst, p, length);
          bytes.get(bytes.position(), dst, p, length);
          return p + length;
        }
      case EMPTY:
        dst[p++] = 0;
        return p;
    }
    throw new IllegalArgumentException("unsupported value type: " + value.getType());
  }

  private final class AttributeWriter implements BiConsumer<AttributeKey<?>, Object> {
    byte[] dst;
    int pos;
    byte tag;

    @Override
    public void accept(AttributeKey<?> key, Object value) {
      byte[] d = dst;
      int p = pos;
      d[p++] = tag;
      pos = writeKeyValue(d, p, key.getKey(), key.getType(), value);
    }
  }

  private static final class TraceStateWriter implements BiConsumer<String, String> {
    byte[] dst;
    int pos;
    boolean first;

    @Override
    public void accept(String key, String value) {
      if (!first) {
        dst[pos++] = ',';
      }
      first = false;
      pos = Utf8.write(dst, pos, key, Utf8.encodedLength(key));
      dst[pos++] = '=';
      pos = Utf8.write(dst, pos, value, Utf8.encodedLength(value));
    }
  }

  private static int spanKind(SpanKind kind) {
    switch (kind) {
      case INTERNAL:
        return 1;
      case SERVER:
        return 2;
      case CLIENT:
        return 3;
      case PRODUCER:
        return 4;
      case CONSUMER:
        return 5;
    }
    return 0;
  }

  private static int statusCode(StatusCode code) {
    switch (code) {
      case OK:
        return 1;
      case ERROR:
        return 2;
      case UNSET:
        return 0;
    }
    return 0;
  }
}
