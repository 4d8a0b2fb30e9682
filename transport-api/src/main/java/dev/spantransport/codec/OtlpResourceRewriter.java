package dev.spantransport.codec;

import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import dev.spantransport.codec.internal.OtlpFields;
import dev.spantransport.codec.internal.OtlpSignalCounter;
import dev.spantransport.codec.internal.OtlpValidator;
import dev.spantransport.codec.internal.WireReader;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.Attributes;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Predicate;

/**
 * Rewrites the resources of a raw OTLP {@code ExportTraceServiceRequest} (or, through the methods
 * taking a {@link Signal}, of a logs or metrics request) for passthrough: in every {@code
 * ResourceSpans} ({@code ResourceLogs}, {@code ResourceMetrics}), the resource loses each attribute
 * whose key the strip predicate accepts or that an identity attribute will replace, and gains the
 * identity attributes at its end. A {@code ResourceSpans} without a resource gets one holding just
 * the identity attributes. Every other byte is copied unchanged.
 *
 * <p>The identity attributes are encoded once, when the rewriter is created. The input is validated
 * in full first (the same checks as {@link OtlpSpanDecoder#countSpans}); a malformed payload fails
 * with {@link MalformedPayloadException}. A {@code ResourceSpans} carrying its resource field twice
 * (legal protobuf, never written by OpenTelemetry) gets the identity attributes in each.
 *
 * <p>A rewriter is immutable and thread-safe if its predicate is.
 */
public final class OtlpResourceRewriter {
  private final byte[] identityFields;
  private final Set<String> identityKeys;
  private final Predicate<String> stripKey;
  private final String description;

  /**
   * Creates a rewriter.
   *
   * @param identity attributes appended to every resource, replacing any attribute with the same
   *     key
   * @param stripKey accepts the keys of resource attributes to remove
   */
  public OtlpResourceRewriter(Attributes identity, Predicate<String> stripKey) {
    Objects.requireNonNull(identity, "identity");
    this.stripKey = Objects.requireNonNull(stripKey, "stripKey");
    this.identityFields = new OtlpSpanEncoder().encodeAttributeFields(identity);
    Set<String> keys = new HashSet<>();
    identity.forEach((k, v) -> keys.add(k.getKey()));
    this.identityKeys = keys;
    StringJoiner joiner = new StringJoiner(", ", "OtlpResourceRewriter{identity=", "}");
    joiner.add(identity.toString());
    this.description = joiner.toString();
  }

  /**
   * Returns the length of the rewritten form of the payload in {@code src[offset, offset +
   * length)}.
   *
   * @throws MalformedPayloadException if the payload is not well-formed
   */
  public int rewrittenLength(byte[] src, int offset, int length) throws MalformedPayloadException {
    return rewrittenLength(Signal.TRACES, src, offset, length);
  }

  /**
   * Returns the length of the rewritten form of the OTLP request of {@code signal} in {@code
   * src[offset, offset + length)}. The requests of all signals keep their resources in the same
   * place, so only the validation differs.
   *
   * @throws MalformedPayloadException if the payload is not a well-formed request of {@code signal}
   */
  public int rewrittenLength(Signal signal, byte[] src, int offset, int length)
      throws MalformedPayloadException {
    Objects.checkFromIndexSize(offset, length, src.length);
    validate(signal, src, offset, length);
    return requestLength(src, offset, length);
  }

  private static void validate(Signal signal, byte[] src, int offset, int length)
      throws MalformedPayloadException {
    if (signal == Signal.TRACES) {
      OtlpValidator.countSpans(src, offset, length);
    } else {
      new OtlpSignalCounter(Integer.MAX_VALUE).count(signal, src, offset, length);
    }
  }

  /**
   * Writes the rewritten form of the payload in {@code src[offset, offset + length)} into {@code
   * dst} at {@code dstOffset}.
   *
   * @return the number of bytes written
   * @throws MalformedPayloadException if the payload is not well-formed
   * @throws IndexOutOfBoundsException if {@code dst} has too few bytes from {@code dstOffset}
   */
  public int rewrite(byte[] src, int offset, int length, byte[] dst, int dstOffset)
      throws MalformedPayloadException {
    return rewrite(Signal.TRACES, src, offset, length, dst, dstOffset);
  }

  /**
   * Writes the rewritten form of the OTLP request of {@code signal} in {@code src[offset, offset +
   * length)} into {@code dst} at {@code dstOffset}.
   *
   * @return the number of bytes written
   * @throws MalformedPayloadException if the payload is not a well-formed request of {@code signal}
   * @throws IndexOutOfBoundsException if {@code dst} has too few bytes from {@code dstOffset}
   */
  public int rewrite(Signal signal, byte[] src, int offset, int length, byte[] dst, int dstOffset)
      throws MalformedPayloadException {
    Objects.checkFromIndexSize(offset, length, src.length);
    validate(signal, src, offset, length);
    long needed = requestLength(src, offset, length);
    if (dstOffset < 0 || dstOffset > dst.length || dst.length - dstOffset < needed) {
      throw new IndexOutOfBoundsException(
          "destination must have "
              + needed
              + " bytes from offset "
              + dstOffset
              + ": array length is "
              + dst.length);
    }
    WireReader r = new WireReader(src, offset);
    int end = offset + length;
    int p = dstOffset;
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "ExportTraceServiceRequest");
      if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS) {
        int len = r.readLength(end, "ExportTraceServiceRequest.resource_spans");
        int start = r.pos();
        dst[p++] = (byte) tag;
        p = writeVarint(dst, p, resourceSpansLength(src, offset, start, start + len));
        p = writeResourceSpans(src, offset, start, start + len, dst, p);
        r.pos(start + len);
      } else {
        r.skip(tag, end, "ExportTraceServiceRequest");
        p = copy(src, fieldStart, r.pos(), dst, p);
      }
    }
    return p - dstOffset;
  }

  @Override
  public String toString() {
    return description;
  }

  private int requestLength(byte[] src, int offset, int length) throws MalformedPayloadException {
    WireReader r = new WireReader(src, offset);
    int end = offset + length;
    long total = 0;
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "ExportTraceServiceRequest");
      if ((tag >>> 3) == OtlpFields.REQUEST_RESOURCE_SPANS) {
        int len = r.readLength(end, "ExportTraceServiceRequest.resource_spans");
        int start = r.pos();
        int body = resourceSpansLength(src, offset, start, start + len);
        total += 1 + varintSize(body) + (long) body;
        r.pos(start + len);
      } else {
        r.skip(tag, end, "ExportTraceServiceRequest");
        total += r.pos() - fieldStart;
      }
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new MalformedPayloadException(
          "rewritten payload must be at most " + (Integer.MAX_VALUE - 8) + " bytes: " + total, -1);
    }
    return (int) total;
  }

  private int resourceSpansLength(byte[] src, int base, int start, int end)
      throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    boolean hasResource = false;
    int size = 0;
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "ResourceSpans");
      if ((tag >>> 3) == OtlpFields.RESOURCE_SPANS_RESOURCE) {
        hasResource = true;
        int len = r.readLength(end, "ResourceSpans.resource");
        int body = resourceLength(src, base, r.pos(), r.pos() + len);
        size += 1 + varintSize(body) + body;
        r.pos(r.pos() + len);
      } else {
        r.skip(tag, end, "ResourceSpans");
        size += r.pos() - fieldStart;
      }
    }
    if (!hasResource) {
      size += 1 + varintSize(identityFields.length) + identityFields.length;
    }
    return size;
  }

  private int resourceLength(byte[] src, int base, int start, int end)
      throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    int size = identityFields.length;
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "Resource");
      if ((tag >>> 3) == OtlpFields.RESOURCE_ATTRIBUTES) {
        int len = r.readLength(end, "Resource.attributes");
        int bodyStart = r.pos();
        r.pos(bodyStart + len);
        if (!drops(src, base, bodyStart, bodyStart + len)) {
          size += r.pos() - fieldStart;
        }
      } else {
        r.skip(tag, end, "Resource");
        size += r.pos() - fieldStart;
      }
    }
    return size;
  }

  private int writeResourceSpans(byte[] src, int base, int start, int end, byte[] dst, int p)
      throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    boolean hasResource = false;
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "ResourceSpans");
      if ((tag >>> 3) == OtlpFields.RESOURCE_SPANS_RESOURCE) {
        hasResource = true;
        int len = r.readLength(end, "ResourceSpans.resource");
        int bodyStart = r.pos();
        dst[p++] = (byte) tag;
        p = writeVarint(dst, p, resourceLength(src, base, bodyStart, bodyStart + len));
        p = writeResource(src, base, bodyStart, bodyStart + len, dst, p);
        r.pos(bodyStart + len);
      } else {
        r.skip(tag, end, "ResourceSpans");
        p = copy(src, fieldStart, r.pos(), dst, p);
      }
    }
    if (!hasResource) {
      dst[p++] = (byte) ((OtlpFields.RESOURCE_SPANS_RESOURCE << 3) | 2);
      p = writeVarint(dst, p, identityFields.length);
      p = copy(identityFields, 0, identityFields.length, dst, p);
    }
    return p;
  }

  private int writeResource(byte[] src, int base, int start, int end, byte[] dst, int p)
      throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    while (r.pos() < end) {
      int fieldStart = r.pos();
      int tag = r.readTag(end, "Resource");
      if ((tag >>> 3) == OtlpFields.RESOURCE_ATTRIBUTES) {
        int len = r.readLength(end, "Resource.attributes");
        int bodyStart = r.pos();
        r.pos(bodyStart + len);
        if (!drops(src, base, bodyStart, bodyStart + len)) {
          p = copy(src, fieldStart, r.pos(), dst, p);
        }
      } else {
        r.skip(tag, end, "Resource");
        p = copy(src, fieldStart, r.pos(), dst, p);
      }
    }
    return copy(identityFields, 0, identityFields.length, dst, p);
  }

  /** Whether the KeyValue in [start, end) is removed. */
  private boolean drops(byte[] src, int base, int start, int end) throws MalformedPayloadException {
    WireReader r = new WireReader(src, base);
    r.pos(start);
    String key = "";
    while (r.pos() < end) {
      int tag = r.readTag(end, "KeyValue");
      if ((tag >>> 3) == OtlpFields.KEY_VALUE_KEY) {
        int len = r.readLength(end, "KeyValue.key");
        key = new String(src, r.pos(), len, StandardCharsets.UTF_8);
        r.pos(r.pos() + len);
      } else {
        r.skip(tag, end, "KeyValue");
      }
    }
    return identityKeys.contains(key) || stripKey.test(key);
  }

  private static int copy(byte[] src, int from, int to, byte[] dst, int p) {
    System.arraycopy(src, from, dst, p, to - from);
    return p + (to - from);
  }
}
