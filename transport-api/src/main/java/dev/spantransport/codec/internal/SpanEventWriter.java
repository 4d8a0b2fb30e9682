package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.writeFixed64;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.EventData;

/**
 * Writes an OTLP {@code Span.Event}: time, name, attributes and the dropped-attributes count. The
 * encoded bytes of event names come from a small {@link KeyValueCache} by identity.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class SpanEventWriter {
  private static final byte TAG_TIME = 0x09; // time_unix_nano = 1, fixed64
  private static final byte TAG_NAME = 0x12; // name = 2
  private static final byte TAG_ATTRIBUTES = 0x1A; // attributes = 3
  private static final byte TAG_DROPPED_ATTRIBUTES = 0x20; // dropped_attributes_count = 4

  private final EncodeBuffer out;
  private final KeyValueWriter attributes;
  // Event names are nearly always a few constants: their encoded field, by identity.
  private final KeyValueCache names = new KeyValueCache(16);

  public SpanEventWriter(EncodeBuffer out, KeyValueWriter attributes) {
    this.out = out;
    this.attributes = attributes;
  }

  /** Writes {@code tag}, the length and the event; returns the end. */
  public int write(int pos, byte tag, EventData event) {
    byte[] b = out.ensure(pos, 11);
    b[pos] = tag;
    int start = pos + 2;
    int p = start;
    long time = event.getEpochNanos();
    if (time != 0) {
      b[p++] = TAG_TIME;
      p = writeFixed64(b, p, time);
    }
    String name = event.getName();
    if (!name.isEmpty()) {
      int k = names.keyIndex(name);
      if (k >= 0) {
        b = out.ensure(p, KeyValueCache.KEY_FIELD_BYTES + KeyValueCache.COPY_SLACK);
        int field = p;
        p = names.writeKeyField(k, b, p);
        b[field] = TAG_NAME; // the cache holds it as a KeyValue.key field: same bytes, other tag
      } else {
        p = out.writeStringField(p, TAG_NAME, name);
      }
    }
    Attributes eventAttributes = event.getAttributes();
    p = attributes.writeAttributes(p, TAG_ATTRIBUTES, eventAttributes);
    int dropped = event.getTotalAttributeCount() - eventAttributes.size();
    if (dropped != 0) {
      p = out.writeVarintField(p, TAG_DROPPED_ATTRIBUTES, dropped);
    }
    return out.endMessage(start, 1, p);
  }
}
