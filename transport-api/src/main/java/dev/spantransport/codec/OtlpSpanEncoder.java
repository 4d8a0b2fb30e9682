package dev.spantransport.codec;

import dev.spantransport.codec.internal.TraceRequestWriter;
import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.policy.internal.PolicyGate;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Collection;
import java.util.Objects;

/**
 * Encodes {@link SpanData} into the protobuf bytes of an OTLP {@code ExportTraceServiceRequest}
 * (opentelemetry-proto {@code collector/trace/v1}), written once into a caller's reusable buffer.
 *
 * <p>Encoding takes two steps. {@link #prepare(Collection)} groups the spans by {@link Resource},
 * then by {@link InstrumentationScopeInfo} (both by identity, like OpenTelemetry's own marshalers;
 * groups keep the order in which they are first seen), and encodes every span in one pass into a
 * reused internal buffer, so the payload length is known before any byte is written to the caller's
 * buffer. {@link #writeTo(byte[], int)} then writes the enclosing messages and copies the span
 * bytes, exactly the returned number of bytes. In steady state neither step allocates: the grouping
 * tables and the span buffer are kept and reused, strings are written as UTF-8 straight from their
 * characters, and the encoded bytes of attribute keys, of (key, value) pairs that keep repeating,
 * of event names and of resources and scopes come from small caches of fixed size. (A {@code Value}
 * attribute of type {@code BYTES} is the one exception: reading it allocates a small {@code
 * ByteBuffer} view. A resource or scope seen for the first time allocates its cached bytes.)
 *
 * <p>The bytes are the ones OpenTelemetry Java's {@code TraceRequestMarshaler} writes for the same
 * batch when every span shares one resource and one scope; with several groups, only the order of
 * the groups may differ (OpenTelemetry orders them by identity hash).
 *
 * <p>An encoder is not thread-safe: use one per sending thread. The spans passed to {@code prepare}
 * are read only during that call, and the encoder keeps no reference to them afterwards (its caches
 * keep a bounded number of their resources, scopes, attribute keys and short attribute values). Its
 * internal buffer grows to the largest batch and shrinks back after a long run of smaller ones.
 */
public final class OtlpSpanEncoder {
  private final TraceRequestWriter writer;
  private boolean prepared;

  /** Creates an encoder. It is not thread-safe: use one per sending thread. */
  public OtlpSpanEncoder() {
    writer = new TraceRequestWriter();
  }

  /**
   * Creates an encoder that writes every span as {@code policy} leaves it: the bytes are those of
   * the spans {@link AttributePolicy#apply(SpanData)} returns (and of their resources, {@link
   * AttributePolicy#apply(Resource)}). A policy that only keeps or drops keys is decided once per
   * distinct attribute key, as the encoder meets it, so a span it leaves unchanged costs no more
   * than with no policy; only a span the policy changes is copied. It is not thread-safe: use one
   * per sending thread.
   *
   * @param policy the policy; {@link AttributePolicy#allowAll()} encodes as {@link
   *     #OtlpSpanEncoder()} does
   * @since 0.1.0
   */
  public OtlpSpanEncoder(AttributePolicy policy) {
    Objects.requireNonNull(policy, "policy");
    writer = new TraceRequestWriter(policy.isAllowAll() ? null : new PolicyGate(policy));
  }

  /**
   * Groups and encodes {@code spans} and returns the length of their {@code
   * ExportTraceServiceRequest} encoding.
   *
   * @return the payload length N in bytes that {@link #writeTo(byte[], int)} will write
   * @throws IllegalArgumentException if the encoding would be longer than {@code 2^31 - 9} bytes
   */
  public int prepare(Collection<SpanData> spans) {
    Objects.requireNonNull(spans, "spans");
    prepared = false;
    int length = writer.prepare(spans);
    prepared = true;
    return length;
  }

  /**
   * Writes the payload encoded by the last {@link #prepare(Collection)} into {@code dst} starting
   * at {@code offset}. May be called more than once for the same prepare.
   *
   * @return the number of bytes written, always the value {@code prepare} returned
   * @throws IllegalStateException if {@code prepare} has not been called, or it failed
   * @throws IndexOutOfBoundsException if {@code dst} has fewer than N bytes from {@code offset}
   */
  public int writeTo(byte[] dst, int offset) {
    Objects.requireNonNull(dst, "dst");
    if (!prepared) {
      throw new IllegalStateException("prepare(spans) must be called before writeTo");
    }
    int payloadLength = writer.payloadLength();
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
    int end = writer.writeTo(dst, offset);
    if (end - offset != payloadLength) {
      throw new IllegalStateException(
          "wrote " + (end - offset) + " bytes, not the " + payloadLength + " prepared");
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
    return writer.spanCount();
  }

  /** Payload length computed by the last {@link #prepare(Collection)}. */
  public int payloadLength() {
    return writer.payloadLength();
  }

  @Override
  public String toString() {
    return "OtlpSpanEncoder{spanCount="
        + writer.spanCount()
        + ", payloadLength="
        + writer.payloadLength()
        + ", resources="
        + writer.resourceCount()
        + ", groups="
        + writer.groupCount()
        + "}";
  }

  /**
   * Encodes {@code attributes} as repeated KeyValue fields with field number 1 (the shape of {@code
   * Resource.attributes}). Used by {@link OtlpResourceRewriter}; not a hot path.
   */
  byte[] encodeAttributeFields(Attributes attributes) {
    return writer.encodeAttributeFields(attributes);
  }
}
