package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.varintSize;
import static dev.spantransport.codec.internal.ProtoWire.writeVarint;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Collection;

/**
 * Encodes a batch as an OTLP {@code ExportTraceServiceRequest}: {@link #prepare} groups the spans
 * ({@link SpanGroups}) and writes every span field, in one pass, into a reused buffer, group after
 * group; {@link #writeTo} then writes the {@code ResourceSpans} and {@code ScopeSpans} messages
 * around them (their lengths follow from the span bytes, and their resources and scopes come
 * encoded from {@link EnvelopeWriter}) and copies each group's span bytes once. The span buffer
 * grows to the largest batch and shrinks back after a long run of small ones.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class TraceRequestWriter {
  private static final byte TAG_RESOURCE_SPANS = 0x0A; // ExportTraceServiceRequest.resource_spans
  private static final byte TAG_SCOPE_SPANS = 0x12; // ResourceSpans.scope_spans = 2
  private static final byte TAG_SPAN = 0x12; // ScopeSpans.spans = 2

  private final EncodeBuffer spanBytes = new EncodeBuffer(4096);
  private final SpanGroups groups = new SpanGroups();
  private final EnvelopeWriter envelopes = new EnvelopeWriter();
  private final SpanWriter spans;
  private final KeyValueWriter spanAttributes;
  private final SpanGate gate; // null: spans are written as they are

  // Per resource of the batch.
  private byte[][] resourceFields = new byte[4][];
  private byte[][] resourceTails = new byte[4][];
  private int[] resourceSpansLengths = new int[4];
  // Per group of the batch.
  private byte[][] scopeFields = new byte[4][];
  private byte[][] scopeTails = new byte[4][];
  private int[] scopeSpansLengths = new int[4];
  private int[] groupBytesStart = new int[4];
  private int[] groupBytesEnd = new int[4];

  private int payloadLength;

  public TraceRequestWriter() {
    this(null);
  }

  /**
   * Creates a writer that passes every span and resource through {@code gate} (null: none) as it
   * writes them: a span whose attribute keys all pass is written as it is, any other as the gate
   * applies it (written again in the same place); each group's resource as the gate applies it.
   */
  public TraceRequestWriter(SpanGate gate) {
    this.gate = gate;
    EncodeBuffer out = spanBytes;
    SpanIds ids = new SpanIds();
    KeyValueWriter attributes =
        new KeyValueWriter(out, new AnyValueWriter(out), new KeyValueCache(128));
    spanAttributes = attributes;
    TraceStateWriter traceStates = new TraceStateWriter(out);
    spans =
        new SpanWriter(
            out,
            attributes,
            new SpanEventWriter(out, attributes),
            new SpanLinkWriter(out, attributes, traceStates, ids),
            traceStates,
            ids);
  }

  /**
   * Groups and encodes {@code batch}; returns the length of the request.
   *
   * @throws IllegalArgumentException if the request would be longer than {@link
   *     EncodeBuffer#MAX_LENGTH}
   */
  public int prepare(Collection<SpanData> batch) {
    // The previous batch is done with (writeTo reads the span buffer): the buffer may shrink now.
    spanBytes.trim(payloadLength);
    payloadLength = 0;
    SpanGroups g = groups;
    g.group(batch);
    try {
      payloadLength = encode(g);
    } finally {
      g.releaseSpans();
    }
    return payloadLength;
  }

  private int encode(SpanGroups g) {
    int resourceCount = g.resourceCount();
    int groupCount = g.groupCount();
    if (resourceFields.length < resourceCount) {
      int capacity = Math.max(resourceCount, resourceFields.length * 2);
      resourceFields = new byte[capacity][];
      resourceTails = new byte[capacity][];
      resourceSpansLengths = new int[capacity];
    }
    if (scopeFields.length < groupCount) {
      int capacity = Math.max(groupCount, scopeFields.length * 2);
      scopeFields = new byte[capacity][];
      scopeTails = new byte[capacity][];
      scopeSpansLengths = new int[capacity];
      groupBytesStart = new int[capacity];
      groupBytesEnd = new int[capacity];
    }
    SpanWriter writer = spans;
    int p = 0;
    long total = 0;
    for (int r = 0; r < resourceCount; r++) {
      int resourceSlot =
          envelopes.resource(gate == null ? g.resource(r) : gate.apply(g.resource(r)));
      resourceFields[r] = envelopes.resourceField(resourceSlot);
      resourceTails[r] = envelopes.resourceTail(resourceSlot);
      long resourceSpans = resourceFields[r].length + resourceTails[r].length;
      for (int k = g.firstGroupPosition(r), end = g.endGroupPosition(r); k < end; k++) {
        int group = g.groupAt(k);
        int scopeSlot = envelopes.scope(g.scope(group));
        scopeFields[group] = envelopes.scopeField(scopeSlot);
        scopeTails[group] = envelopes.scopeTail(scopeSlot);
        groupBytesStart[group] = p;
        for (int i = g.firstSpan(group), last = i + g.groupSpanCount(group); i < last; i++) {
          p = gate == null ? writer.write(p, TAG_SPAN, g.span(i)) : writeGated(p, g.span(i));
        }
        groupBytesEnd[group] = p;
        long scopeSpans = scopeFields[group].length + (long) (p - groupBytesStart[group]);
        scopeSpans += scopeTails[group].length;
        scopeSpansLengths[group] = checkedLength(scopeSpans);
        resourceSpans += 1 + varintSize((int) scopeSpans) + scopeSpans;
      }
      resourceSpansLengths[r] = checkedLength(resourceSpans);
      total += 1 + varintSize((int) resourceSpans) + resourceSpans;
    }
    return checkedLength(total);
  }

  /**
   * Writes {@code span} as the gate leaves it: straight when every attribute key passes (decided
   * per distinct key, as the keys are written), else again at {@code pos} as the gate applies it.
   */
  private int writeGated(int pos, SpanData span) {
    KeyValueWriter attributes = spanAttributes;
    if (gate.decidesByKey()) {
      attributes.gate(gate);
      int end;
      boolean failed;
      try {
        end = spans.write(pos, TAG_SPAN, span);
      } finally {
        failed = attributes.gateFailed();
        attributes.gate(null);
      }
      if (!failed) {
        return end;
      }
    }
    return spans.write(pos, TAG_SPAN, gate.apply(span));
  }

  private static int checkedLength(long length) {
    if (length > EncodeBuffer.MAX_LENGTH) {
      throw new IllegalArgumentException(
          "encoded batch must be at most " + EncodeBuffer.MAX_LENGTH + " bytes: " + length);
    }
    return (int) length;
  }

  /** Length of the request {@link #prepare} encoded. */
  public int payloadLength() {
    return payloadLength;
  }

  /** Number of spans {@link #prepare} encoded. */
  public int spanCount() {
    return groups.spanCount();
  }

  /** Number of resources in the batch {@link #prepare} encoded. */
  public int resourceCount() {
    return groups.resourceCount();
  }

  /** Number of (resource, scope) groups in the batch {@link #prepare} encoded. */
  public int groupCount() {
    return groups.groupCount();
  }

  /**
   * Writes the request {@link #prepare} encoded to {@code dst} at {@code offset}, which has room
   * for {@link #payloadLength()} bytes; returns the position after it.
   */
  public int writeTo(byte[] dst, int offset) {
    SpanGroups g = groups;
    byte[] source = spanBytes.array();
    int p = offset;
    for (int r = 0, resourceCount = g.resourceCount(); r < resourceCount; r++) {
      dst[p++] = TAG_RESOURCE_SPANS;
      p = writeVarint(dst, p, resourceSpansLengths[r]);
      p = copy(resourceFields[r], dst, p);
      for (int k = g.firstGroupPosition(r), end = g.endGroupPosition(r); k < end; k++) {
        int group = g.groupAt(k);
        dst[p++] = TAG_SCOPE_SPANS;
        p = writeVarint(dst, p, scopeSpansLengths[group]);
        p = copy(scopeFields[group], dst, p);
        int start = groupBytesStart[group];
        int length = groupBytesEnd[group] - start;
        System.arraycopy(source, start, dst, p, length);
        p += length;
        p = copy(scopeTails[group], dst, p);
      }
      p = copy(resourceTails[r], dst, p);
    }
    return p;
  }

  private static int copy(byte[] bytes, byte[] dst, int p) {
    System.arraycopy(bytes, 0, dst, p, bytes.length);
    return p + bytes.length;
  }

  /** Encodes {@code attributes} as repeated KeyValue fields tagged 1, into a new array. */
  public byte[] encodeAttributeFields(Attributes attributes) {
    return envelopes.attributeFields(attributes);
  }
}
