package dev.spantransport.sink;

import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.Attributes;
import java.util.Objects;

/**
 * What every batch a receiver hands to a sink has, whatever its signal: who sent it, where it sits
 * in the sender's session, and the OTLP request as a view. The subclasses are {@link SpanBatch},
 * {@link LogBatch} and {@link MetricBatch}; each signal has its own sink type ({@link SpanSink},
 * {@link LogSink}, {@link MetricSink}), as the OpenTelemetry SDK has one exporter type per signal,
 * so a sink states in its type which signals it takes. Code that treats every signal alike (a raw
 * passthrough such as {@link OtlpHttpSink}) works on this type.
 *
 * <p>The payload is the protobuf-encoded OTLP request of {@link #signal()} ({@code
 * ExportTraceServiceRequest}, {@code ExportLogsServiceRequest} or {@code
 * ExportMetricsServiceRequest}) at {@code buffer()[offset() .. offset() + length())}. It is <b>a
 * view, not a copy</b>: the bytes stay valid only until the {@code CompletableResultCode} the sink
 * returned from {@code accept} completes. After that the receiver reuses them. A sink that keeps
 * the bytes longer must copy them (see {@link #copyPayload()}).
 *
 * <p>{@link #identity()} holds the resource attributes that describe the guest. They come from the
 * transport (and the receiver's optional identity resolver), never from the payload, so a guest
 * cannot forge them. Sinks must apply them to every resource of the payload, overwriting same-named
 * attributes, and remove every payload attribute whose key starts with {@link
 * SpanBatch#PEER_ATTRIBUTE_PREFIX}; the sinks of this package do. The receiver has already removed
 * such attributes from everywhere else in the payload.
 *
 * <p>Instances are immutable (the payload array aside, which the receiver owns), so a sink cannot
 * change what other sinks of the same batch see.
 */
public abstract sealed class OtlpBatch permits SpanBatch, LogBatch, MetricBatch {

  private final PeerIdentity peer;
  private final Attributes identity;
  private final String sessionId;
  private final long sequence;
  private final int itemCount;
  private final byte[] buffer;
  private final int offset;
  private final int length;

  OtlpBatch(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      long sequence,
      int itemCount,
      byte[] buffer,
      int offset,
      int length) {
    Objects.requireNonNull(buffer, "buffer");
    if (offset < 0 || length < 0 || offset > buffer.length - length) {
      throw new IndexOutOfBoundsException(
          "payload must lie within buffer of length "
              + buffer.length
              + ": offset="
              + offset
              + ", length="
              + length);
    }
    if (itemCount < 0) {
      throw new IllegalArgumentException("item count must not be negative: " + itemCount);
    }
    this.peer = Objects.requireNonNull(peer, "peer");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
    this.sequence = sequence;
    this.itemCount = itemCount;
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
  }

  /** Returns which signal the payload carries, and so which OTLP request it is. */
  public abstract Signal signal();

  /**
   * Returns the number of items in the payload as the receiver counted them: spans, log records or
   * metric data points.
   */
  public final int itemCount() {
    return itemCount;
  }

  /** Returns the sender as the transport identified it. */
  public final PeerIdentity peer() {
    return peer;
  }

  /**
   * Returns the resource attributes that identify the sender: the transport's {@code
   * spantransport.peer.*} attributes plus those of the receiver's identity resolver, if any.
   */
  public final Attributes identity() {
    return identity;
  }

  /**
   * Returns the sender's session id as 32 lowercase hex digits, or an empty string for a sender
   * without sessions (the Kata agent's framing, OTLP/HTTP; their sequence numbers only count the
   * batches of one connection).
   */
  public final String sessionId() {
    return sessionId;
  }

  /**
   * Returns the batch sequence within its session; the first batch is 1. Spans, logs and metrics of
   * one session share one sequence space.
   */
  public final long sequence() {
    return sequence;
  }

  /** Returns the array holding the payload; valid until the sink's result completes. */
  public final byte[] buffer() {
    return buffer;
  }

  /** Returns where the payload starts in {@link #buffer()}. */
  public final int offset() {
    return offset;
  }

  /** Returns the payload length in bytes. */
  public final int length() {
    return length;
  }

  /** Returns a fresh copy of the payload, for sinks that keep it past their result. */
  public final byte[] copyPayload() {
    byte[] copy = new byte[length];
    System.arraycopy(buffer, offset, copy, 0, length);
    return copy;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName()
        + "{peer="
        + peer
        + ", sessionId="
        + sessionId
        + ", sequence="
        + sequence
        + ", "
        + signal().itemName().replace(' ', '_')
        + "="
        + itemCount
        + ", length="
        + length
        + "}";
  }
}
