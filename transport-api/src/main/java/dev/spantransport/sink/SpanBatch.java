package dev.spantransport.sink;

import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import java.util.Objects;

/**
 * One batch of spans as a receiver hands it to a {@link SpanSink}: who sent it, where it sits in
 * the sender's session, and the OTLP payload as a view.
 *
 * <p>The payload is a protobuf-encoded OTLP {@code ExportTraceServiceRequest} exactly as the guest
 * sent it, at {@code buffer()[offset() .. offset() + length())}. It is <b>a view, not a copy</b>:
 * the bytes and this object stay valid only until the {@code CompletableResultCode} the sink
 * returned from {@link SpanSink#accept(SpanBatch)} completes. After that the receiver reuses both.
 * A sink that keeps the bytes or the batch longer must copy them (see {@link #copyPayload()}).
 *
 * <p>{@link #identity()} holds the resource attributes that describe the guest. They come from the
 * transport (and the receiver's optional identity resolver), never from the payload, so a guest
 * cannot forge them. Sinks must apply them to every resource of the payload, overwriting same-named
 * attributes, and remove every payload attribute whose key starts with {@link
 * #PEER_ATTRIBUTE_PREFIX}; {@link SpanExporterSink} and {@link OtlpHttpSink} do.
 *
 * <p>This is a flyweight: a receiver {@linkplain #wrap wraps} one instance per in-flight slot and
 * reuses it. Sinks only read it.
 */
public final class SpanBatch {

  /**
   * Prefix of every transport-derived identity attribute ({@code spantransport.peer.cid}, {@code
   * .port}, {@code .socket_path}, {@code .pid}, {@code .uid}, {@code .address}, {@code
   * .transport}). Payload attributes under this prefix are removed before export.
   */
  public static final String PEER_ATTRIBUTE_PREFIX = "spantransport.peer.";

  private static final byte[] EMPTY = new byte[0];

  private PeerIdentity peer;
  private Attributes identity = Attributes.empty();
  private String sessionId = "";
  private long sequence;
  private int spanCount;
  private byte[] buffer = EMPTY;
  private int offset;
  private int length;

  /** Creates an empty batch, to be filled with {@link #wrap}. */
  public SpanBatch() {}

  /**
   * Points this batch at a payload and its metadata. Called by receivers (and tests); sinks never
   * call it.
   *
   * @param peer the sender as the transport saw it
   * @param identity the resource attributes to tag the payload with (transport plus resolver)
   * @param sessionId the sender's session id as 32 lowercase hex digits
   * @param sequence the batch sequence within the session (starts at 1)
   * @param spanCount the number of spans in the payload
   * @param buffer the array holding the payload
   * @param offset where the payload starts in {@code buffer}
   * @param length the payload length in bytes
   * @return this batch
   */
  public SpanBatch wrap(
      PeerIdentity peer,
      Attributes identity,
      String sessionId,
      long sequence,
      int spanCount,
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
    if (spanCount < 0) {
      throw new IllegalArgumentException("spanCount must not be negative: " + spanCount);
    }
    this.peer = Objects.requireNonNull(peer, "peer");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
    this.sequence = sequence;
    this.spanCount = spanCount;
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** Returns the sender as the transport identified it. */
  public PeerIdentity peer() {
    return peer;
  }

  /**
   * Returns the resource attributes that identify the sender: the transport's {@code
   * spantransport.peer.*} attributes plus those of the receiver's identity resolver, if any.
   */
  public Attributes identity() {
    return identity;
  }

  /**
   * Returns the sender's session id as 32 lowercase hex digits, or an empty string for a sender
   * without sessions (the Kata agent's framing, OTLP/HTTP; their sequence numbers only count the
   * batches of one connection).
   */
  public String sessionId() {
    return sessionId;
  }

  /** Returns the batch sequence within its session; the first batch is 1. */
  public long sequence() {
    return sequence;
  }

  /** Returns the number of spans in the payload, as counted by the receiver. */
  public int spanCount() {
    return spanCount;
  }

  /** Returns the array holding the payload; valid until the sink's result completes. */
  public byte[] buffer() {
    return buffer;
  }

  /** Returns where the payload starts in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** Returns the payload length in bytes. */
  public int length() {
    return length;
  }

  /** Returns a fresh copy of the payload, for sinks that keep it past their result. */
  public byte[] copyPayload() {
    byte[] copy = new byte[length];
    System.arraycopy(buffer, offset, copy, 0, length);
    return copy;
  }

  @Override
  public String toString() {
    return "SpanBatch{peer="
        + peer
        + ", sessionId="
        + sessionId
        + ", sequence="
        + sequence
        + ", spanCount="
        + spanCount
        + ", length="
        + length
        + "}";
  }
}
