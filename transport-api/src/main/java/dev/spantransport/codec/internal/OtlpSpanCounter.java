package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED32;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED64;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_LENGTH_DELIMITED;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_VARINT;

import dev.spantransport.policy.AttributePolicy;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fast path of {@link OtlpValidator#countSpans}: the same walk over an OTLP {@code
 * ExportTraceServiceRequest}, over a plain {@code byte[]} and an {@code int} position, with no
 * objects and no error messages. It answers a span count only for a payload that passes every check
 * the validator makes; for anything else, malformed or merely unusual, it answers {@link #BAIL} and
 * the caller runs the validator, which then either names the fault or accepts the payload. So the
 * fast path can never accept what the validator rejects, and it only needs to be quick for the
 * payloads encoders actually write.
 *
 * <p>It accepts: tags of one or two bytes (every known OTLP field fits in one, {@code Span.flags}
 * in two); lengths of at most four bytes (the wire protocol caps a frame far below 2^28 bytes);
 * each known field with exactly its schema's wire type; unknown fields numbered above a message's
 * highest known field, skipped by wire type (varint, fixed64, length-delimited, fixed32). It bails
 * on: a known field number with another wire type, a field number 0 or at most the highest known
 * one that the validator would skip anyway (e.g. the reserved {@code Status} field 1), groups,
 * varints that are not in their shortest form or run past their message, lengths past their
 * message, ids of a wrong size, values nested deeper than {@link OtlpFields#MAX_VALUE_DEPTH}.
 *
 * <p>Each walker takes the position after a field's tag or a message's start and returns the
 * position after what it read, or {@code BAIL}; every caller checks for {@code BAIL} before it uses
 * a position.
 *
 * <p>This class is internal and may change at any time.
 */
public final class OtlpSpanCounter {
  /** Returned when the payload needs the validator's full treatment. */
  public static final int BAIL = -1;

  /** The prefix of attribute keys only the host may set: the guest's transport identity. */
  public static final String RESERVED_PREFIX = AttributePolicy.RESERVED_PREFIX;

  private static final byte[] RESERVED = RESERVED_PREFIX.getBytes(StandardCharsets.US_ASCII);

  private static final int LD = WIRETYPE_LENGTH_DELIMITED;
  private static final int VARINT = WIRETYPE_VARINT;
  private static final int I64 = WIRETYPE_FIXED64;
  private static final int I32 = WIRETYPE_FIXED32;

  private final PayloadLimits limits;
  private boolean needsRewrite;

  /**
   * Creates a counter that also notes whether a payload breaks {@code limits} or carries an
   * attribute under {@link #RESERVED_PREFIX}; not thread-safe.
   */
  public OtlpSpanCounter(PayloadLimits limits) {
    this.limits = limits;
  }

  /**
   * Returns the number of spans in the {@code length} bytes at {@code offset}, or {@link #BAIL} if
   * the validator must decide. The range must be inside {@code buf}.
   */
  public static int countSpans(byte[] buf, int offset, int length) {
    return new OtlpSpanCounter(PayloadLimits.NONE).count(buf, offset, length);
  }

  /**
   * Whether the payload of the last {@link #count} that did not bail needs the sanitizer: some
   * resource, scope, span, event or link attribute key starts with {@link #RESERVED_PREFIX}, or a
   * count or string length is over the limits. False means the payload can go to the sinks as is.
   */
  public boolean needsRewrite() {
    return needsRewrite;
  }

  /**
   * Returns the number of spans in the {@code length} bytes at {@code offset}, or {@link #BAIL} if
   * the validator must decide, and notes {@link #needsRewrite()}. The range must be inside {@code
   * buf}.
   */
  public int count(byte[] buf, int offset, int length) {
    needsRewrite = false;
    int end = offset + length;
    int p = offset;
    int spans = 0;
    while (p < end) {
      int tag = tag(buf, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      if (tag == (OtlpFields.REQUEST_RESOURCE_SPANS << 3 | LD)) {
        int len = length(buf, p, end);
        if (len == BAIL) {
          return BAIL;
        }
        p += ProtoWire.varintSize(len);
        int n = resourceSpans(buf, p, p + len);
        if (n == BAIL) {
          return BAIL;
        }
        p += len;
        spans += n;
        if (spans < 0) {
          return BAIL;
        }
      } else {
        p = unknown(buf, p, end, tag, OtlpFields.REQUEST_RESOURCE_SPANS);
        if (p == BAIL) {
          return BAIL;
        }
      }
    }
    return spans;
  }

  /** Walks a ResourceSpans body [p, end) and returns its span count, or BAIL. */
  private int resourceSpans(byte[] b, int p, int end) {
    int spans = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.RESOURCE_SPANS_RESOURCE << 3 | LD:
          {
            int len = length(b, p, end);
            if (len == BAIL) {
              return BAIL;
            }
            p += ProtoWire.varintSize(len);
            if (resource(b, p, p + len) == BAIL) {
              return BAIL;
            }
            p += len;
            break;
          }
        case OtlpFields.RESOURCE_SPANS_SCOPE_SPANS << 3 | LD:
          {
            int len = length(b, p, end);
            if (len == BAIL) {
              return BAIL;
            }
            p += ProtoWire.varintSize(len);
            int n = scopeSpans(b, p, p + len);
            if (n == BAIL) {
              return BAIL;
            }
            p += len;
            spans += n;
            if (spans < 0) {
              return BAIL;
            }
            break;
          }
        case OtlpFields.RESOURCE_SPANS_SCHEMA_URL << 3 | LD:
          p = bytes(b, p, end);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.RESOURCE_SPANS_SCHEMA_URL);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    return spans;
  }

  private int resource(byte[] b, int p, int end) {
    int attributes = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.RESOURCE_ATTRIBUTES << 3 | LD:
          p = attribute(b, p, end);
          attributes++;
          break;
        case OtlpFields.RESOURCE_DROPPED_ATTRIBUTES_COUNT << 3 | VARINT:
          p = varint(b, p, end);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.RESOURCE_DROPPED_ATTRIBUTES_COUNT);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    if (attributes > limits.maxAttributes) {
      needsRewrite = true;
    }
    return p;
  }

  /** Walks a ScopeSpans body [p, end) and returns its span count, or BAIL. */
  private int scopeSpans(byte[] b, int p, int end) {
    int spans = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.SCOPE_SPANS_SCOPE << 3 | LD:
          p = message(b, p, end, SCOPE, 0);
          break;
        case OtlpFields.SCOPE_SPANS_SPANS << 3 | LD:
          p = message(b, p, end, SPAN, 0);
          spans++;
          break;
        case OtlpFields.SCOPE_SPANS_SCHEMA_URL << 3 | LD:
          p = bytes(b, p, end);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.SCOPE_SPANS_SCHEMA_URL);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    return spans;
  }

  // The kinds of message body message() walks.
  private static final int SCOPE = 0;
  private static final int SPAN = 1;
  private static final int EVENT = 2;
  private static final int LINK = 3;
  private static final int STATUS = 4;
  private static final int KEY_VALUE = 5;
  private static final int ANY_VALUE = 6;
  private static final int ARRAY = 7;
  private static final int KVLIST = 8;

  /**
   * Reads a length at p and walks the body that follows as {@code body}; returns the position after
   * the body, or BAIL.
   */
  private int message(byte[] b, int p, int end, int body, int depth) {
    int len = length(b, p, end);
    if (len == BAIL) {
      return BAIL;
    }
    p += ProtoWire.varintSize(len);
    int stop = p + len;
    int r;
    switch (body) {
      case SCOPE:
        r = scope(b, p, stop);
        break;
      case SPAN:
        r = span(b, p, stop);
        break;
      case EVENT:
        r = event(b, p, stop);
        break;
      case LINK:
        r = link(b, p, stop);
        break;
      case STATUS:
        r = status(b, p, stop);
        break;
      case KEY_VALUE:
        r = keyValue(b, p, stop, depth);
        break;
      case ANY_VALUE:
        r = anyValue(b, p, stop, depth);
        break;
      case ARRAY:
        r = list(b, p, stop, depth, false);
        break;
      default:
        r = list(b, p, stop, depth, true);
    }
    return r == BAIL ? BAIL : stop;
  }

  private int scope(byte[] b, int p, int end) {
    int attributes = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.SCOPE_NAME << 3 | LD:
        case OtlpFields.SCOPE_VERSION << 3 | LD:
          p = bytes(b, p, end);
          break;
        case OtlpFields.SCOPE_ATTRIBUTES << 3 | LD:
          p = attribute(b, p, end);
          attributes++;
          break;
        case OtlpFields.SCOPE_DROPPED_ATTRIBUTES_COUNT << 3 | VARINT:
          p = varint(b, p, end);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.SCOPE_DROPPED_ATTRIBUTES_COUNT);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    if (attributes > limits.maxAttributes) {
      needsRewrite = true;
    }
    return p;
  }

  private int span(byte[] b, int p, int end) {
    int attributes = 0;
    int events = 0;
    int links = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.SPAN_TRACE_ID << 3 | LD:
          p = id(b, p, end, 16);
          break;
        case OtlpFields.SPAN_SPAN_ID << 3 | LD:
        case OtlpFields.SPAN_PARENT_SPAN_ID << 3 | LD:
          p = id(b, p, end, 8);
          break;
        case OtlpFields.SPAN_TRACE_STATE << 3 | LD:
        case OtlpFields.SPAN_NAME << 3 | LD:
          p = bytes(b, p, end);
          break;
        case OtlpFields.SPAN_KIND << 3 | VARINT:
        case OtlpFields.SPAN_DROPPED_ATTRIBUTES_COUNT << 3 | VARINT:
        case OtlpFields.SPAN_DROPPED_EVENTS_COUNT << 3 | VARINT:
        case OtlpFields.SPAN_DROPPED_LINKS_COUNT << 3 | VARINT:
          p = varint(b, p, end);
          break;
        case OtlpFields.SPAN_START_TIME << 3 | I64:
        case OtlpFields.SPAN_END_TIME << 3 | I64:
          p = fixed(p, end, 8);
          break;
        case OtlpFields.SPAN_ATTRIBUTES << 3 | LD:
          p = attribute(b, p, end);
          attributes++;
          break;
        case OtlpFields.SPAN_EVENTS << 3 | LD:
          p = message(b, p, end, EVENT, 0);
          events++;
          break;
        case OtlpFields.SPAN_LINKS << 3 | LD:
          p = message(b, p, end, LINK, 0);
          links++;
          break;
        case OtlpFields.SPAN_STATUS << 3 | LD:
          p = message(b, p, end, STATUS, 0);
          break;
        case OtlpFields.SPAN_FLAGS << 3 | I32:
          p = fixed(p, end, 4);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.SPAN_FLAGS);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    if (attributes > limits.maxAttributes || events > limits.maxEvents || links > limits.maxLinks) {
      needsRewrite = true;
    }
    return p;
  }

  private int event(byte[] b, int p, int end) {
    int attributes = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.EVENT_TIME << 3 | I64:
          p = fixed(p, end, 8);
          break;
        case OtlpFields.EVENT_NAME << 3 | LD:
          p = bytes(b, p, end);
          break;
        case OtlpFields.EVENT_ATTRIBUTES << 3 | LD:
          p = attribute(b, p, end);
          attributes++;
          break;
        case OtlpFields.EVENT_DROPPED_ATTRIBUTES_COUNT << 3 | VARINT:
          p = varint(b, p, end);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.EVENT_DROPPED_ATTRIBUTES_COUNT);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    if (attributes > limits.maxAttributesPerEvent) {
      needsRewrite = true;
    }
    return p;
  }

  private int link(byte[] b, int p, int end) {
    int attributes = 0;
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.LINK_TRACE_ID << 3 | LD:
          p = id(b, p, end, 16);
          break;
        case OtlpFields.LINK_SPAN_ID << 3 | LD:
          p = id(b, p, end, 8);
          break;
        case OtlpFields.LINK_TRACE_STATE << 3 | LD:
          p = bytes(b, p, end);
          break;
        case OtlpFields.LINK_ATTRIBUTES << 3 | LD:
          p = attribute(b, p, end);
          attributes++;
          break;
        case OtlpFields.LINK_DROPPED_ATTRIBUTES_COUNT << 3 | VARINT:
          p = varint(b, p, end);
          break;
        case OtlpFields.LINK_FLAGS << 3 | I32:
          p = fixed(p, end, 4);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.LINK_FLAGS);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    if (attributes > limits.maxAttributesPerLink) {
      needsRewrite = true;
    }
    return p;
  }

  private int status(byte[] b, int p, int end) {
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.STATUS_MESSAGE << 3 | LD:
          p = bytes(b, p, end);
          break;
        case OtlpFields.STATUS_CODE << 3 | VARINT:
          p = varint(b, p, end);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.STATUS_CODE);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    return p;
  }

  /**
   * Walks one attribute (a KeyValue field of a resource, scope, span, event or link) at p. Most
   * attributes are a key followed by a value that holds one string, bool, int or double: those are
   * checked here in a straight line, with exactly the checks {@link #keyValue} and {@link
   * #anyValue} would make. Any other shape (a value first, repeated fields, arrays, key-value
   * lists, bytes, unknown fields) goes through the general walk from the attribute's start.
   */
  private int attribute(byte[] b, int p, int end) {
    int len = length(b, p, end);
    if (len == BAIL) {
      return BAIL;
    }
    int start = p + ProtoWire.varintSize(len);
    int stop = start + len;
    if (start < stop && b[start] == KEY_FIELD) {
      int keyLength = length(b, start + 1, stop);
      if (keyLength != BAIL) {
        int key = start + 1 + ProtoWire.varintSize(keyLength);
        if (isReserved(b, key, keyLength)) {
          needsRewrite = true;
        }
        int q = key + keyLength;
        if (q == stop) {
          return stop;
        }
        if (b[q] == VALUE_FIELD) {
          int valueLength = length(b, q + 1, stop);
          if (valueLength != BAIL) {
            int value = q + 1 + ProtoWire.varintSize(valueLength);
            if (value + valueLength == stop && scalar(b, value, stop)) {
              return stop;
            }
          }
        }
      }
    }
    return keyValue(b, start, stop, 0) == BAIL ? BAIL : stop;
  }

  private static final byte KEY_FIELD = OtlpFields.KEY_VALUE_KEY << 3 | LD;
  private static final byte VALUE_FIELD = OtlpFields.KEY_VALUE_VALUE << 3 | LD;

  /**
   * Whether the AnyValue body [p, end) of a top-level attribute is empty or exactly one string,
   * bool, int or double field that {@link #anyValue} accepts; notes a string over the length limit.
   * False sends the attribute to the general walk, which decides.
   */
  private boolean scalar(byte[] b, int p, int end) {
    if (p == end) {
      return true;
    }
    switch (b[p]) {
      case OtlpFields.ANY_STRING << 3 | LD:
        {
          int len = length(b, p + 1, end);
          if (len == BAIL || p + 1 + ProtoWire.varintSize(len) + len != end) {
            return false;
          }
          if (len > limits.maxValueLength) {
            needsRewrite = true;
          }
          return true;
        }
      case OtlpFields.ANY_BOOL << 3 | VARINT:
      case OtlpFields.ANY_INT << 3 | VARINT:
        return varint(b, p + 1, end) == end;
      case OtlpFields.ANY_DOUBLE << 3 | I64:
        return end - p == 9;
      default:
        return false;
    }
  }

  private int keyValue(byte[] b, int p, int end, int depth) {
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.KEY_VALUE_KEY << 3 | LD:
          {
            int len = length(b, p, end);
            if (len == BAIL) {
              return BAIL;
            }
            p += ProtoWire.varintSize(len);
            if (depth == 0 && isReserved(b, p, len)) {
              needsRewrite = true;
            }
            p += len;
            break;
          }
        case OtlpFields.KEY_VALUE_VALUE << 3 | LD:
          p = message(b, p, end, ANY_VALUE, depth);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.KEY_VALUE_VALUE);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    return p;
  }

  private int anyValue(byte[] b, int p, int end, int depth) {
    if (depth > OtlpFields.MAX_VALUE_DEPTH) {
      return BAIL;
    }
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      switch (tag) {
        case OtlpFields.ANY_STRING << 3 | LD:
          {
            int len = length(b, p, end);
            if (len == BAIL) {
              return BAIL;
            }
            // A string of at most maxValueLength bytes has at most that many UTF-16 units.
            if (len > limits.maxValueLength && depth <= 1) {
              needsRewrite = true;
            }
            p += ProtoWire.varintSize(len) + len;
            break;
          }
        case OtlpFields.ANY_BYTES << 3 | LD:
          p = bytes(b, p, end);
          break;
        case OtlpFields.ANY_BOOL << 3 | VARINT:
        case OtlpFields.ANY_INT << 3 | VARINT:
          p = varint(b, p, end);
          break;
        case OtlpFields.ANY_DOUBLE << 3 | I64:
          p = fixed(p, end, 8);
          break;
        case OtlpFields.ANY_ARRAY << 3 | LD:
          p = message(b, p, end, ARRAY, depth + 1);
          break;
        case OtlpFields.ANY_KVLIST << 3 | LD:
          p = message(b, p, end, KVLIST, depth + 1);
          break;
        default:
          p = unknown(b, p, end, tag, OtlpFields.ANY_BYTES);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    return p;
  }

  private int list(byte[] b, int p, int end, int depth, boolean keyValues) {
    while (p < end) {
      int tag = tag(b, p, end);
      if (tag == BAIL) {
        return BAIL;
      }
      p += tag < 0x80 ? 1 : 2;
      if (tag == (OtlpFields.LIST_VALUES << 3 | LD)) {
        p = message(b, p, end, keyValues ? KEY_VALUE : ANY_VALUE, depth);
      } else {
        p = unknown(b, p, end, tag, OtlpFields.LIST_VALUES);
      }
      if (p == BAIL) {
        return BAIL;
      }
    }
    return p;
  }

  /** Whether the {@code len} bytes at p start with {@link #RESERVED_PREFIX}. */
  static boolean isReserved(byte[] b, int p, int len) {
    return len >= RESERVED.length
        && b[p] == 's'
        && b[p + 1] == 'p'
        && Arrays.equals(b, p, p + RESERVED.length, RESERVED, 0, RESERVED.length);
  }

  /**
   * The tag at p (p < end): one byte, or two in shortest form; BAIL for field number 0 or anything
   * longer. The tag's size is 1 if it is below 0x80, else 2.
   */
  private static int tag(byte[] b, int p, int end) {
    int t = b[p];
    if (t >= 8) {
      return t;
    }
    if (t >= 0 || p + 1 >= end) {
      return BAIL;
    }
    int t1 = b[p + 1];
    if (t1 <= 0) {
      return BAIL;
    }
    return (t & 0x7F) | (t1 << 7);
  }

  /**
   * The length at p, a varint of at most four bytes in shortest form whose body fits before end;
   * BAIL otherwise. The length's size is {@link ProtoWire#varintSize(int)}.
   */
  private static int length(byte[] b, int p, int end) {
    if (p >= end) {
      return BAIL;
    }
    int v = b[p];
    if (v >= 0) {
      return v < end - p ? v : BAIL;
    }
    v &= 0x7F;
    for (int i = 1, shift = 7; i < 4; i++, shift += 7) {
      if (p + i >= end) {
        return BAIL;
      }
      int x = b[p + i];
      if (x >= 0) {
        if (x == 0) {
          return BAIL;
        }
        v |= x << shift;
        return v <= end - p - i - 1 ? v : BAIL;
      }
      v |= (x & 0x7F) << shift;
    }
    return BAIL;
  }

  /** Skips a length-delimited value at p. */
  private static int bytes(byte[] b, int p, int end) {
    int len = length(b, p, end);
    return len == BAIL ? BAIL : p + ProtoWire.varintSize(len) + len;
  }

  /** Skips an id at p that must be empty or {@code size} bytes. */
  private static int id(byte[] b, int p, int end, int size) {
    if (p < end) {
      int len = b[p];
      if ((len == size || len == 0) && len < end - p) {
        return p + 1 + len;
      }
    }
    return BAIL;
  }

  /** Skips a varint of at most 10 bytes at p. */
  private static int varint(byte[] b, int p, int end) {
    int limit = Math.min(end, p + 10);
    for (int i = p; i < limit; i++) {
      if (b[i] >= 0) {
        return i + 1;
      }
    }
    return BAIL;
  }

  private static int fixed(int p, int end, int size) {
    return end - p >= size ? p + size : BAIL;
  }

  /**
   * Skips a field the validator skips by wire type: only fields numbered above {@code lastKnown}
   * (anything at or below it is known, reserved or field 0, and the validator decides).
   */
  private static int unknown(byte[] b, int p, int end, int tag, int lastKnown) {
    if ((tag >>> 3) <= lastKnown) {
      return BAIL;
    }
    switch (tag & 7) {
      case WIRETYPE_VARINT:
        return varint(b, p, end);
      case WIRETYPE_FIXED64:
        return fixed(p, end, 8);
      case WIRETYPE_LENGTH_DELIMITED:
        return bytes(b, p, end);
      case WIRETYPE_FIXED32:
        return fixed(p, end, 4);
      default:
        return BAIL;
    }
  }
}
