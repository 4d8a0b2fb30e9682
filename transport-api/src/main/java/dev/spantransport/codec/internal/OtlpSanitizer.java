package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED32;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED64;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_LENGTH_DELIMITED;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_VARINT;

import dev.spantransport.codec.MalformedPayloadException;

/**
 * Checks a guest's OTLP {@code ExportTraceServiceRequest} for what only the host may decide, and
 * rewrites the rare payload that needs it, so that every sink (decoding or passthrough) gets the
 * same bytes:
 *
 * <ul>
 *   <li>every resource, scope, span, event and link attribute whose key starts with {@link
 *       OtlpSpanCounter#RESERVED_PREFIX} is removed (the guest's identity comes from the socket);
 *   <li>attributes, events and links past the {@link PayloadLimits} are removed, first ones kept
 *       (as the SDK's {@code SpanLimits} do), and added to the message's {@code dropped_*_count};
 *   <li>string attribute values (and strings in array values) longer than the value length limit
 *       are cut to it, counted in UTF-16 units; a surrogate pair is never split.
 * </ul>
 *
 * <p>{@link #countSpans} validates and counts in one pass, noting whether anything needs rewriting;
 * only then does {@link #sanitize} walk the payload again. Every other byte is copied unchanged;
 * lengths are re-encoded in shortest form, and a rewritten {@code dropped_*_count} moves to the end
 * of its message. An instance is reused and not thread-safe.
 *
 * <p>This class is internal and may change at any time.
 */
public final class OtlpSanitizer {

  private static final long MAX_DROPPED = 0xFFFFFFFFL; // dropped counts are uint32

  private final PayloadLimits limits;
  private final OtlpSpanCounter counter;

  // the payload being rewritten, and where bytes go: dst == null only measures
  private byte[] src;
  private byte[] dst;
  private int p;
  private long varintValue;

  private boolean needsRewrite;
  private long stripped;
  private long droppedAttributes;
  private long droppedEvents;
  private long droppedLinks;
  private long truncatedValues;

  /** Creates a sanitizer applying {@code limits}. */
  public OtlpSanitizer(PayloadLimits limits) {
    this.limits = limits;
    this.counter = new OtlpSpanCounter(limits);
  }

  /**
   * Validates the payload and returns its span count, as {@link OtlpValidator#countSpans}, and
   * notes whether {@link #sanitize} has anything to do.
   *
   * @throws MalformedPayloadException if the payload is not well-formed
   */
  public int countSpans(byte[] buffer, int offset, int length) throws MalformedPayloadException {
    int spans = counter.count(buffer, offset, length);
    if (spans != OtlpSpanCounter.BAIL) {
      needsRewrite = counter.needsRewrite();
      return spans;
    }
    spans = OtlpValidator.walk(buffer, offset, length);
    needsRewrite = true; // unusual encoding: let sanitize decide
    return spans;
  }

  /** Whether the payload last given to {@link #countSpans} may need {@link #sanitize}. */
  public boolean needsRewrite() {
    return needsRewrite;
  }

  /**
   * Returns the payload in {@code buffer[offset, offset + length)}, which {@link #countSpans}
   * accepted, with reserved attributes removed and the limits applied; null if nothing changes. The
   * counts of what was removed are then available until the next call.
   */
  public byte[] sanitize(byte[] buffer, int offset, int length) {
    stripped = 0;
    droppedAttributes = 0;
    droppedEvents = 0;
    droppedLinks = 0;
    truncatedValues = 0;
    src = buffer;
    try {
      dst = null;
      p = 0;
      request(offset, offset + length);
      byte[] out = new byte[p];
      dst = out;
      p = 0;
      request(offset, offset + length);
      boolean changed =
          (stripped | droppedAttributes | droppedEvents | droppedLinks | truncatedValues) != 0;
      return changed ? out : null;
    } finally {
      src = null;
      dst = null;
    }
  }

  /** Attributes under the reserved prefix removed by the last {@link #sanitize}. */
  public long stripped() {
    return stripped;
  }

  /** Attributes over a count limit removed by the last {@link #sanitize}. */
  public long droppedAttributes() {
    return droppedAttributes;
  }

  /** Events over the limit removed by the last {@link #sanitize}. */
  public long droppedEvents() {
    return droppedEvents;
  }

  /** Links over the limit removed by the last {@link #sanitize}. */
  public long droppedLinks() {
    return droppedLinks;
  }

  /** String values cut to the length limit by the last {@link #sanitize}. */
  public long truncatedValues() {
    return truncatedValues;
  }

  @Override
  public String toString() {
    return "OtlpSanitizer{" + limits + "}";
  }

  // ------------------------------------------------------------------ the walk

  private static final int REQUEST = 0;
  private static final int RESOURCE_SPANS = 1;
  private static final int SCOPE_SPANS = 2;
  private static final int RESOURCE = 3;
  private static final int SCOPE = 4;
  private static final int SPAN = 5;
  private static final int EVENT = 6;
  private static final int LINK = 7;
  private static final int KEY_VALUE = 8;
  private static final int ANY_VALUE = 9;
  private static final int ARRAY = 10;

  private boolean writing() {
    return dst != null;
  }

  private void request(int start, int end) {
    int q = start;
    while (q < end) {
      int fieldStart = q;
      q = varint(q);
      int tag = (int) varintValue;
      if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS) {
        q = nested(fieldStart, q, RESOURCE_SPANS, 0);
      } else {
        q = copyField(fieldStart, q, tag);
      }
    }
  }

  /**
   * Emits the length-delimited field whose tag is at [tagStart, lengthAt) with its body rewritten
   * as {@code kind}: measures the body first, then writes it. Returns the position after the field.
   */
  private int nested(int tagStart, int lengthAt, int kind, int depth) {
    int bodyStart = varint(lengthAt);
    int bodyEnd = bodyStart + (int) varintValue;
    if (dst == null) {
      // measuring only: once per level, so a payload costs its depth times its length
      int at = p;
      p = 0;
      body(kind, bodyStart, bodyEnd, depth);
      int size = p;
      p = at + (lengthAt - tagStart) + ProtoWire.varintSize(size) + size;
      return bodyEnd;
    }
    byte[] out = dst;
    int at = p;
    dst = null;
    p = 0;
    body(kind, bodyStart, bodyEnd, depth);
    int size = p;
    dst = out;
    p = at;
    copy(tagStart, lengthAt);
    emitVarint(size);
    body(kind, bodyStart, bodyEnd, depth);
    return bodyEnd;
  }

  private void body(int kind, int start, int end, int depth) {
    switch (kind) {
      case RESOURCE_SPANS:
        fields(
            start,
            end,
            OtlpFields.RESOURCE_SPANS_RESOURCE,
            RESOURCE,
            OtlpFields.RESOURCE_SPANS_SCOPE_SPANS,
            SCOPE_SPANS,
            0);
        break;
      case SCOPE_SPANS:
        fields(
            start, end, OtlpFields.SCOPE_SPANS_SCOPE, SCOPE, OtlpFields.SCOPE_SPANS_SPANS, SPAN, 0);
        break;
      case RESOURCE:
        holder(
            start,
            end,
            OtlpFields.RESOURCE_ATTRIBUTES,
            OtlpFields.RESOURCE_DROPPED_ATTRIBUTES_COUNT,
            limits.maxAttributes);
        break;
      case SCOPE:
        holder(
            start,
            end,
            OtlpFields.SCOPE_ATTRIBUTES,
            OtlpFields.SCOPE_DROPPED_ATTRIBUTES_COUNT,
            limits.maxAttributes);
        break;
      case SPAN:
        span(start, end);
        break;
      case EVENT:
        holder(
            start,
            end,
            OtlpFields.EVENT_ATTRIBUTES,
            OtlpFields.EVENT_DROPPED_ATTRIBUTES_COUNT,
            limits.maxAttributesPerEvent);
        break;
      case LINK:
        holder(
            start,
            end,
            OtlpFields.LINK_ATTRIBUTES,
            OtlpFields.LINK_DROPPED_ATTRIBUTES_COUNT,
            limits.maxAttributesPerLink);
        break;
      case KEY_VALUE:
        // A top-level attribute: the key copied, the value's strings cut to the limit.
        fields(start, end, OtlpFields.KEY_VALUE_VALUE, ANY_VALUE, NO_FIELD, 0, 0);
        break;
      case ANY_VALUE:
        anyValue(start, end, depth);
        break;
      default: // ARRAY: its elements are AnyValues at depth 1
        fields(start, end, OtlpFields.LIST_VALUES, ANY_VALUE, NO_FIELD, 0, 1);
    }
  }

  /** No second field: {@link #fields} rewrites one nested field only. */
  private static final int NO_FIELD = -1;

  /**
   * A message whose length-delimited fields {@code fieldA} and {@code fieldB} (or {@link
   * #NO_FIELD}) are rewritten as nested messages of {@code kindA} and {@code kindB} at {@code
   * depth}; every other field is copied.
   */
  private void fields(int start, int end, int fieldA, int kindA, int fieldB, int kindB, int depth) {
    int q = start;
    while (q < end) {
      int fieldStart = q;
      q = varint(q);
      int tag = (int) varintValue;
      int field = tag >>> 3;
      if (field == fieldA && (tag & 7) == WIRETYPE_LENGTH_DELIMITED) {
        q = nested(fieldStart, q, kindA, depth);
      } else if (field == fieldB && (tag & 7) == WIRETYPE_LENGTH_DELIMITED) {
        q = nested(fieldStart, q, kindB, depth);
      } else {
        q = copyField(fieldStart, q, tag);
      }
    }
  }

  /**
   * One attribute field at {@code fieldStart}, its body at [bodyStart, bodyEnd): a reserved key is
   * stripped, the first {@code max} others are kept, the rest dropped. Returns the count of
   * non-reserved attributes after this one.
   */
  private int attribute(int fieldStart, int q, int bodyStart, int bodyEnd, int seen, int max) {
    if (isReserved(bodyStart, bodyEnd)) {
      if (writing()) {
        stripped++;
      }
      return seen;
    }
    if (seen < max) {
      nested(fieldStart, q, KEY_VALUE, 0);
    } else if (writing()) {
      droppedAttributes++;
    }
    return seen + 1;
  }

  /** Writes {@code field} as the message's old dropped count plus {@code dropped}, if any. */
  private void addDropped(int start, int end, int field, long dropped) {
    if (dropped > 0) {
      emitDropped(field, lastVarint(start, end, field) + dropped);
    }
  }

  /** A resource, scope, event or link: attributes limited and stripped, the rest copied. */
  private void holder(int start, int end, int attributeField, int droppedField, int max) {
    long dropped = overLimit(start, end, attributeField, max);
    int seen = 0;
    int q = start;
    while (q < end) {
      int fieldStart = q;
      q = varint(q);
      int tag = (int) varintValue;
      int field = tag >>> 3;
      if (field == attributeField) {
        int bodyStart = varint(q);
        int bodyEnd = bodyStart + (int) varintValue;
        seen = attribute(fieldStart, q, bodyStart, bodyEnd, seen, max);
        q = bodyEnd;
      } else if (field == droppedField && dropped > 0) {
        q = varint(q); // replaced at the end
      } else {
        q = copyField(fieldStart, q, tag);
      }
    }
    addDropped(start, end, droppedField, dropped);
  }

  private void span(int start, int end) {
    long droppedAttrs = overLimit(start, end, OtlpFields.SPAN_ATTRIBUTES, limits.maxAttributes);
    long droppedEvts = count(start, end, OtlpFields.SPAN_EVENTS) - (long) limits.maxEvents;
    long droppedLnks = count(start, end, OtlpFields.SPAN_LINKS) - (long) limits.maxLinks;
    int seenAttributes = 0;
    int keptEvents = 0;
    int keptLinks = 0;
    int q = start;
    while (q < end) {
      int fieldStart = q;
      q = varint(q);
      int tag = (int) varintValue;
      switch (tag >>> 3) {
        case OtlpFields.SPAN_ATTRIBUTES:
          {
            int bodyStart = varint(q);
            int bodyEnd = bodyStart + (int) varintValue;
            seenAttributes =
                attribute(fieldStart, q, bodyStart, bodyEnd, seenAttributes, limits.maxAttributes);
            q = bodyEnd;
            break;
          }
        case OtlpFields.SPAN_EVENTS:
          if (keptEvents++ < limits.maxEvents) {
            q = nested(fieldStart, q, EVENT, 0);
          } else {
            q = skipField(q, tag);
            if (writing()) {
              droppedEvents++;
            }
          }
          break;
        case OtlpFields.SPAN_LINKS:
          if (keptLinks++ < limits.maxLinks) {
            q = nested(fieldStart, q, LINK, 0);
          } else {
            q = skipField(q, tag);
            if (writing()) {
              droppedLinks++;
            }
          }
          break;
        case OtlpFields.SPAN_DROPPED_ATTRIBUTES_COUNT:
          q = droppedAttrs > 0 ? varint(q) : copyField(fieldStart, q, tag);
          break;
        case OtlpFields.SPAN_DROPPED_EVENTS_COUNT:
          q = droppedEvts > 0 ? varint(q) : copyField(fieldStart, q, tag);
          break;
        case OtlpFields.SPAN_DROPPED_LINKS_COUNT:
          q = droppedLnks > 0 ? varint(q) : copyField(fieldStart, q, tag);
          break;
        default:
          q = copyField(fieldStart, q, tag);
      }
    }
    addDropped(start, end, OtlpFields.SPAN_DROPPED_ATTRIBUTES_COUNT, droppedAttrs);
    addDropped(start, end, OtlpFields.SPAN_DROPPED_EVENTS_COUNT, droppedEvts);
    addDropped(start, end, OtlpFields.SPAN_DROPPED_LINKS_COUNT, droppedLnks);
  }

  /** An AnyValue at depth 0 (an attribute's value) or 1 (an element of its array). */
  private void anyValue(int start, int end, int depth) {
    int q = start;
    while (q < end) {
      int fieldStart = q;
      q = varint(q);
      int tag = (int) varintValue;
      int field = tag >>> 3;
      if (field == OtlpFields.ANY_STRING && (tag & 7) == WIRETYPE_LENGTH_DELIMITED) {
        int bodyStart = varint(q);
        int bodyEnd = bodyStart + (int) varintValue;
        int cut = cut(src, bodyStart, bodyEnd, limits.maxValueLength);
        if (cut == bodyEnd) {
          copy(fieldStart, bodyEnd);
        } else {
          if (writing()) {
            truncatedValues++;
          }
          copy(fieldStart, q);
          emitVarint(cut - bodyStart);
          copy(bodyStart, cut);
        }
        q = bodyEnd;
      } else if (field == OtlpFields.ANY_ARRAY
          && (tag & 7) == WIRETYPE_LENGTH_DELIMITED
          && depth == 0) {
        q = nested(fieldStart, q, ARRAY, 0);
      } else {
        q = copyField(fieldStart, q, tag);
      }
    }
  }

  // ------------------------------------------------------------------ pre-scans

  /** How many non-reserved attributes of the message [start, end) are over {@code max}. */
  private long overLimit(int start, int end, int attributeField, int max) {
    long n = 0;
    int q = start;
    while (q < end) {
      q = varint(q);
      int tag = (int) varintValue;
      if ((tag >>> 3) == attributeField) {
        int bodyStart = varint(q);
        int bodyEnd = bodyStart + (int) varintValue;
        if (!isReserved(bodyStart, bodyEnd)) {
          n++;
        }
        q = bodyEnd;
      } else {
        q = skipField(q, tag);
      }
    }
    return Math.max(0, n - max);
  }

  /** How many times field {@code number} occurs in [start, end). */
  private long count(int start, int end, int number) {
    long n = 0;
    int q = start;
    while (q < end) {
      q = varint(q);
      int tag = (int) varintValue;
      if ((tag >>> 3) == number) {
        n++;
      }
      q = skipField(q, tag);
    }
    return n;
  }

  /** The value of the last varint field {@code number} in [start, end) as uint32, or 0. */
  private long lastVarint(int start, int end, int number) {
    long value = 0;
    int q = start;
    while (q < end) {
      q = varint(q);
      int tag = (int) varintValue;
      if ((tag >>> 3) == number && (tag & 7) == WIRETYPE_VARINT) {
        q = varint(q);
        value = varintValue & 0xFFFFFFFFL;
      } else {
        q = skipField(q, tag);
      }
    }
    return value;
  }

  /** Whether the KeyValue body [start, end) has a key under the reserved prefix. */
  private boolean isReserved(int start, int end) {
    int q = start;
    boolean reserved = false;
    while (q < end) {
      q = varint(q);
      int tag = (int) varintValue;
      if ((tag >>> 3) == OtlpFields.KEY_VALUE_KEY && (tag & 7) == WIRETYPE_LENGTH_DELIMITED) {
        int keyStart = varint(q);
        int len = (int) varintValue;
        reserved = OtlpSpanCounter.isReserved(src, keyStart, len); // the last key wins
        q = keyStart + len;
      } else {
        q = skipField(q, tag);
      }
    }
    return reserved;
  }

  // ------------------------------------------------------------------ bytes

  /**
   * Returns where to cut the UTF-8 string [start, end) so that it keeps at most {@code max} UTF-16
   * units: {@code end} if it already does. A four-byte sequence counts two units and is kept whole
   * or not at all; any other lead byte, and a stray continuation byte (which the decoder turns into
   * U+FFFD), counts one.
   */
  static int cut(byte[] b, int start, int end, int max) {
    if (end - start <= max) {
      return end;
    }
    int units = 0;
    int q = start;
    while (q < end) {
      int lead = b[q] & 0xFF;
      int size;
      int width;
      if (lead >= 0xF0 && lead <= 0xF7) {
        size = 4;
        width = 2;
      } else if (lead >= 0xE0 && lead <= 0xEF) {
        size = 3;
        width = 1;
      } else if (lead >= 0xC0 && lead <= 0xDF) {
        size = 2;
        width = 1;
      } else {
        size = 1;
        width = 1;
      }
      // a sequence runs only over continuation bytes; a broken one ends early
      int next = q + 1;
      while (next < q + size && next < end && (b[next] & 0xC0) == 0x80) {
        next++;
      }
      if (next - q < size) {
        width = 1;
      }
      if (units + width > max) {
        return q;
      }
      units += width;
      q = next;
    }
    return end;
  }

  /** Reads the varint at q into {@link #varintValue}; returns the position after it. */
  private int varint(int q) {
    byte[] b = src;
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[q++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        varintValue = v;
        return q;
      }
    }
  }

  /** Returns the position after the value of a field whose tag ended at q. */
  private int skipField(int q, int tag) {
    switch (tag & 7) {
      case WIRETYPE_VARINT:
        return varint(q);
      case WIRETYPE_FIXED64:
        return q + 8;
      case WIRETYPE_LENGTH_DELIMITED:
        {
          int at = varint(q);
          return at + (int) varintValue;
        }
      case WIRETYPE_FIXED32:
        return q + 4;
      default:
        throw new IllegalStateException("wire type the validator rejects: " + (tag & 7));
    }
  }

  /** Copies a whole field, tag at [fieldStart, q), and returns the position after it. */
  private int copyField(int fieldStart, int q, int tag) {
    int after = skipField(q, tag);
    copy(fieldStart, after);
    return after;
  }

  private void copy(int from, int to) {
    if (dst != null) {
      System.arraycopy(src, from, dst, p, to - from);
    }
    p += to - from;
  }

  private void emitVarint(long value) {
    if (dst != null) {
      p = ProtoWire.writeVarint(dst, p, value);
    } else {
      p += ProtoWire.varintSize(value);
    }
  }

  private void emitDropped(int field, long total) {
    long value = Math.min(total, MAX_DROPPED);
    emitVarint(ProtoWire.tag(field, WIRETYPE_VARINT));
    emitVarint(value);
  }
}
