package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.writeFixed32;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.data.LinkData;

/**
 * Writes an OTLP {@code Span.Link}: trace and span id, trace state, attributes, the
 * dropped-attributes count and flags.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class SpanLinkWriter {
  private static final byte TAG_TRACE_ID = 0x0A; // trace_id = 1
  private static final byte TAG_SPAN_ID = 0x12; // span_id = 2
  private static final byte TAG_TRACE_STATE = 0x1A; // trace_state = 3
  private static final byte TAG_ATTRIBUTES = 0x22; // attributes = 4
  private static final byte TAG_DROPPED_ATTRIBUTES = 0x28; // dropped_attributes_count = 5
  private static final byte TAG_FLAGS = 0x35; // flags = 6, fixed32

  private final EncodeBuffer out;
  private final KeyValueWriter attributes;
  private final TraceStateWriter traceStates;
  private final SpanIds ids;

  public SpanLinkWriter(
      EncodeBuffer out, KeyValueWriter attributes, TraceStateWriter traceStates, SpanIds ids) {
    this.out = out;
    this.attributes = attributes;
    this.traceStates = traceStates;
    this.ids = ids;
  }

  /** Writes {@code tag}, the length and the link; returns the end. */
  public int write(int pos, byte tag, LinkData link) {
    byte[] b = out.ensure(pos, 30);
    b[pos] = tag;
    int start = pos + 2;
    int p = start;
    SpanContext context = link.getSpanContext();
    p =
        ids.writeTraceAndSpanId(
            b, p, TAG_TRACE_ID, context.getTraceId(), TAG_SPAN_ID, context.getSpanId(), null);
    TraceState traceState = context.getTraceState();
    if (!traceState.isEmpty()) {
      p = traceStates.write(p, TAG_TRACE_STATE, traceState);
    }
    Attributes linkAttributes = link.getAttributes();
    p = attributes.writeAttributes(p, TAG_ATTRIBUTES, linkAttributes);
    int dropped = link.getTotalAttributeCount() - linkAttributes.size();
    if (dropped != 0) {
      p = out.writeVarintField(p, TAG_DROPPED_ATTRIBUTES, dropped);
    }
    b = out.ensure(p, 5);
    b[p++] = TAG_FLAGS;
    p = writeFixed32(b, p, SpanWriter.flags(context.getTraceFlags().asByte(), context.isRemote()));
    return out.endMessage(start, 1, p);
  }
}
