package dev.spantransport.codec.internal;

import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED32;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_FIXED64;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_LENGTH_DELIMITED;
import static dev.spantransport.codec.internal.ProtoWire.WIRETYPE_VARINT;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.spi.Signal;
import java.nio.charset.StandardCharsets;

/**
 * Validates an OTLP {@code ExportLogsServiceRequest} or {@code ExportMetricsServiceRequest} in one
 * pass over its bytes, without allocating anything, and counts its items: log records, or metric
 * data points of every type (gauge and sum number points, histogram, exponential histogram and
 * summary points). It is the logs and metrics twin of {@link OtlpValidator} for spans.
 *
 * <p>The walk is driven by a small schema per message (field number to expected kind), written from
 * the opentelemetry-proto definitions. It checks what would make a sink or a decoder fail or
 * allocate without bound: every tag and varint well-formed, every length inside its message, each
 * known field with its schema's wire type (packed and unpacked forms of repeated numbers both
 * accepted, packed fixed-width lengths a multiple of their width), trace ids of 0 or 16 bytes and
 * span ids of 0 or 8, {@code AnyValue} nesting at most {@link OtlpFields#MAX_VALUE_DEPTH} levels,
 * no groups, and at most {@code maxItems} items, checked as each item is met. Unknown fields are
 * skipped by wire type, as protobuf does. Strings are not checked for UTF-8.
 *
 * <p>It also notes whether any attribute key (of a resource, scope, log record, data point,
 * exemplar or metric metadata, at any depth of a key-value list) starts with {@link
 * OtlpSpanCounter#RESERVED_PREFIX}: such a payload must be rewritten before any sink sees it.
 *
 * <p>Not thread-safe; one instance per connection. This class is internal and may change at any
 * time.
 */
public final class OtlpSignalCounter {

  // Field kinds. Anything not listed in a schema is unknown and skipped.
  private static final byte NONE = 0;
  private static final byte VARINT = 1;
  private static final byte I64 = 2;
  private static final byte I32 = 3;
  private static final byte STRING = 4;
  private static final byte BYTES = 5;
  private static final byte TRACE_ID = 6;
  private static final byte SPAN_ID = 7;
  private static final byte PACKED_I64 = 8;
  private static final byte PACKED_VARINT = 9;
  private static final byte MESSAGE = 10;

  private static final byte[] RESERVED =
      OtlpSpanCounter.RESERVED_PREFIX.getBytes(StandardCharsets.US_ASCII);

  /** One message type: its name for errors, the kind and child of each field number. */
  private static final class Schema {
    final String name;
    final byte[] kinds = new byte[16];
    final Schema[] children = new Schema[16];
    final String[] names = new String[16];
    boolean item; // each occurrence of this message is one item
    boolean keyValue; // a KeyValue: its key is checked against the reserved prefix
    boolean anyValue; // an AnyValue: nesting depth grows through it

    Schema(String name) {
      this.name = name;
    }

    Schema field(int number, String fieldName, byte kind) {
      kinds[number] = kind;
      names[number] = fieldName;
      return this;
    }

    Schema field(int number, String fieldName, Schema child) {
      kinds[number] = MESSAGE;
      names[number] = fieldName;
      children[number] = child;
      return this;
    }
  }

  private static final Schema LOGS_REQUEST;
  private static final Schema METRICS_REQUEST;

  static {
    Schema anyValue = new Schema("AnyValue");
    anyValue.anyValue = true;
    Schema keyValue = new Schema("KeyValue").field(1, "key", STRING).field(2, "value", anyValue);
    keyValue.keyValue = true;
    Schema arrayValue = new Schema("ArrayValue").field(1, "values", anyValue);
    Schema keyValueList = new Schema("KeyValueList").field(1, "values", keyValue);
    anyValue
        .field(1, "string_value", STRING)
        .field(2, "bool_value", VARINT)
        .field(3, "int_value", VARINT)
        .field(4, "double_value", I64)
        .field(5, "array_value", arrayValue)
        .field(6, "kvlist_value", keyValueList)
        .field(7, "bytes_value", BYTES);
    Schema resource =
        new Schema("Resource")
            .field(1, "attributes", keyValue)
            .field(2, "dropped_attributes_count", VARINT);
    Schema scope =
        new Schema("InstrumentationScope")
            .field(1, "name", STRING)
            .field(2, "version", STRING)
            .field(3, "attributes", keyValue)
            .field(4, "dropped_attributes_count", VARINT);

    Schema logRecord =
        new Schema("LogRecord")
            .field(1, "time_unix_nano", I64)
            .field(11, "observed_time_unix_nano", I64)
            .field(2, "severity_number", VARINT)
            .field(3, "severity_text", STRING)
            .field(5, "body", anyValue)
            .field(6, "attributes", keyValue)
            .field(7, "dropped_attributes_count", VARINT)
            .field(8, "flags", I32)
            .field(9, "trace_id", TRACE_ID)
            .field(10, "span_id", SPAN_ID)
            .field(12, "event_name", STRING);
    logRecord.item = true;
    Schema scopeLogs =
        new Schema("ScopeLogs")
            .field(1, "scope", scope)
            .field(2, "log_records", logRecord)
            .field(3, "schema_url", STRING);
    Schema resourceLogs =
        new Schema("ResourceLogs")
            .field(1, "resource", resource)
            .field(2, "scope_logs", scopeLogs)
            .field(3, "schema_url", STRING);
    LOGS_REQUEST = new Schema("ExportLogsServiceRequest").field(1, "resource_logs", resourceLogs);

    Schema exemplar =
        new Schema("Exemplar")
            .field(7, "filtered_attributes", keyValue)
            .field(2, "time_unix_nano", I64)
            .field(3, "as_double", I64)
            .field(6, "as_int", I64)
            .field(4, "span_id", SPAN_ID)
            .field(5, "trace_id", TRACE_ID);
    Schema numberPoint =
        new Schema("NumberDataPoint")
            .field(7, "attributes", keyValue)
            .field(2, "start_time_unix_nano", I64)
            .field(3, "time_unix_nano", I64)
            .field(4, "as_double", I64)
            .field(6, "as_int", I64)
            .field(5, "exemplars", exemplar)
            .field(8, "flags", VARINT);
    numberPoint.item = true;
    Schema histogramPoint =
        new Schema("HistogramDataPoint")
            .field(9, "attributes", keyValue)
            .field(2, "start_time_unix_nano", I64)
            .field(3, "time_unix_nano", I64)
            .field(4, "count", I64)
            .field(5, "sum", I64)
            .field(6, "bucket_counts", PACKED_I64)
            .field(7, "explicit_bounds", PACKED_I64)
            .field(8, "exemplars", exemplar)
            .field(10, "flags", VARINT)
            .field(11, "min", I64)
            .field(12, "max", I64);
    histogramPoint.item = true;
    Schema buckets =
        new Schema("Buckets").field(1, "offset", VARINT).field(2, "bucket_counts", PACKED_VARINT);
    Schema exponentialPoint =
        new Schema("ExponentialHistogramDataPoint")
            .field(1, "attributes", keyValue)
            .field(2, "start_time_unix_nano", I64)
            .field(3, "time_unix_nano", I64)
            .field(4, "count", I64)
            .field(5, "sum", I64)
            .field(6, "scale", VARINT)
            .field(7, "zero_count", I64)
            .field(8, "positive", buckets)
            .field(9, "negative", buckets)
            .field(10, "flags", VARINT)
            .field(11, "exemplars", exemplar)
            .field(12, "min", I64)
            .field(13, "max", I64)
            .field(14, "zero_threshold", I64);
    exponentialPoint.item = true;
    Schema quantile =
        new Schema("ValueAtQuantile").field(1, "quantile", I64).field(2, "value", I64);
    Schema summaryPoint =
        new Schema("SummaryDataPoint")
            .field(7, "attributes", keyValue)
            .field(2, "start_time_unix_nano", I64)
            .field(3, "time_unix_nano", I64)
            .field(4, "count", I64)
            .field(5, "sum", I64)
            .field(6, "quantile_values", quantile)
            .field(8, "flags", VARINT);
    summaryPoint.item = true;
    Schema metric =
        new Schema("Metric")
            .field(1, "name", STRING)
            .field(2, "description", STRING)
            .field(3, "unit", STRING)
            .field(5, "gauge", new Schema("Gauge").field(1, "data_points", numberPoint))
            .field(
                7,
                "sum",
                new Schema("Sum")
                    .field(1, "data_points", numberPoint)
                    .field(2, "aggregation_temporality", VARINT)
                    .field(3, "is_monotonic", VARINT))
            .field(
                9,
                "histogram",
                new Schema("Histogram")
                    .field(1, "data_points", histogramPoint)
                    .field(2, "aggregation_temporality", VARINT))
            .field(
                10,
                "exponential_histogram",
                new Schema("ExponentialHistogram")
                    .field(1, "data_points", exponentialPoint)
                    .field(2, "aggregation_temporality", VARINT))
            .field(11, "summary", new Schema("Summary").field(1, "data_points", summaryPoint))
            .field(12, "metadata", keyValue);
    Schema scopeMetrics =
        new Schema("ScopeMetrics")
            .field(1, "scope", scope)
            .field(2, "metrics", metric)
            .field(3, "schema_url", STRING);
    Schema resourceMetrics =
        new Schema("ResourceMetrics")
            .field(1, "resource", resource)
            .field(2, "scope_metrics", scopeMetrics)
            .field(3, "schema_url", STRING);
    METRICS_REQUEST =
        new Schema("ExportMetricsServiceRequest").field(1, "resource_metrics", resourceMetrics);
  }

  private final int maxItems;
  private byte[] buf;
  private int base;
  private int items;
  private boolean reserved;
  private boolean overLimit;
  private int after; // set by length(): the position after the length varint

  /**
   * Creates a counter that rejects a payload with more than {@code maxItems} items.
   *
   * @param maxItems the most log records or data points one payload may hold, at least 1
   */
  public OtlpSignalCounter(int maxItems) {
    if (maxItems < 1) {
      throw new IllegalArgumentException("maxItems must be at least 1: " + maxItems);
    }
    this.maxItems = maxItems;
  }

  /**
   * Validates the request of {@code signal} in {@code buf[offset, offset + length)} and returns how
   * many log records or metric data points it holds.
   *
   * @throws MalformedPayloadException naming the message, the field and the offset of the first
   *     fault, or the item limit and the count reached
   * @throws IllegalArgumentException for {@link Signal#TRACES}, which {@link OtlpValidator} counts
   */
  public int count(Signal signal, byte[] buf, int offset, int length)
      throws MalformedPayloadException {
    Schema schema;
    switch (signal) {
      case LOGS:
        schema = LOGS_REQUEST;
        break;
      case METRICS:
        schema = METRICS_REQUEST;
        break;
      default:
        throw new IllegalArgumentException("spans are counted by OtlpValidator: " + signal);
    }
    if (offset < 0 || length < 0 || offset > buf.length - length) {
      throw new IndexOutOfBoundsException(
          "payload must lie within buffer of length "
              + buf.length
              + ": offset="
              + offset
              + ", length="
              + length);
    }
    this.buf = buf;
    this.base = offset;
    this.items = 0;
    this.reserved = false;
    this.overLimit = false;
    try {
      message(schema, offset, offset + length, 0);
      return items;
    } finally {
      this.buf = null;
    }
  }

  /**
   * Whether the last {@link #count} failed because the payload holds more than {@code maxItems}
   * items (a well-formed payload may still be over the limit); false after any other outcome.
   */
  public boolean overLimit() {
    return overLimit;
  }

  /**
   * Whether the payload last counted without error has an attribute key under {@link
   * OtlpSpanCounter#RESERVED_PREFIX} somewhere, so it must be rewritten before a sink sees it.
   */
  public boolean hasReservedKeys() {
    return reserved;
  }

  private void message(Schema schema, int p, int end, int depth) throws MalformedPayloadException {
    if (schema.item && ++items > maxItems) {
      overLimit = true;
      throw new MalformedPayloadException(
          "a request must hold at most " + maxItems + " items: more at " + schema.name, p - base);
    }
    if (schema.anyValue && depth > OtlpFields.MAX_VALUE_DEPTH) {
      throw malformed(p, "AnyValue nested deeper than " + OtlpFields.MAX_VALUE_DEPTH + " levels");
    }
    while (p < end) {
      long tag = 0;
      int shift = 0;
      while (true) {
        if (p >= end) {
          throw malformed(p, "truncated tag in " + schema.name);
        }
        byte b = buf[p++];
        tag |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          break;
        }
        shift += 7;
        if (shift >= 35) {
          throw malformed(p, "tag longer than 5 bytes in " + schema.name);
        }
      }
      long number = tag >>> 3;
      int wireType = (int) (tag & 7);
      if (number == 0 || number > 536_870_911L) {
        throw malformed(p, "field number must be between 1 and 536870911 in " + schema.name);
      }
      byte kind = number < schema.kinds.length ? schema.kinds[(int) number] : NONE;
      if (kind == NONE) {
        p = skip(schema, wireType, p, end);
        continue;
      }
      String field = schema.names[(int) number];
      switch (kind) {
        case VARINT:
          expect(schema, field, wireType, WIRETYPE_VARINT, p);
          p = varintEnd(schema, field, p, end);
          break;
        case I64:
          expect(schema, field, wireType, WIRETYPE_FIXED64, p);
          p = fixed(schema, field, p, end, 8);
          break;
        case I32:
          expect(schema, field, wireType, WIRETYPE_FIXED32, p);
          p = fixed(schema, field, p, end, 4);
          break;
        case PACKED_I64:
          if (wireType == WIRETYPE_FIXED64) {
            p = fixed(schema, field, p, end, 8);
          } else {
            expect(schema, field, wireType, WIRETYPE_LENGTH_DELIMITED, p);
            int len = length(schema, field, p, end);
            p = after;
            if (len % 8 != 0) {
              throw malformed(
                  p, schema.name + "." + field + " must be a multiple of 8 bytes: " + len);
            }
            p += len;
          }
          break;
        case PACKED_VARINT:
          if (wireType == WIRETYPE_VARINT) {
            p = varintEnd(schema, field, p, end);
          } else {
            expect(schema, field, wireType, WIRETYPE_LENGTH_DELIMITED, p);
            int len = length(schema, field, p, end);
            p = after;
            int packedEnd = p + len;
            while (p < packedEnd) {
              p = varintEnd(schema, field, p, packedEnd);
            }
          }
          break;
        default:
          {
            expect(schema, field, wireType, WIRETYPE_LENGTH_DELIMITED, p);
            int len = length(schema, field, p, end);
            p = after;
            if (kind == TRACE_ID && len != 0 && len != 16) {
              throw malformed(p, schema.name + "." + field + " must be 0 or 16 bytes: " + len);
            }
            if (kind == SPAN_ID && len != 0 && len != 8) {
              throw malformed(p, schema.name + "." + field + " must be 0 or 8 bytes: " + len);
            }
            if (kind == MESSAGE) {
              Schema child = schema.children[(int) number];
              message(child, p, p + len, schema.anyValue ? depth + 1 : depth);
            } else if (kind == STRING && schema.keyValue && number == 1) {
              if (startsWithReserved(p, len)) {
                reserved = true;
              }
            }
            p += len;
          }
      }
    }
  }

  private boolean startsWithReserved(int p, int len) {
    if (len < RESERVED.length) {
      return false;
    }
    for (int i = 0; i < RESERVED.length; i++) {
      if (buf[p + i] != RESERVED[i]) {
        return false;
      }
    }
    return true;
  }

  private int skip(Schema schema, int wireType, int p, int end) throws MalformedPayloadException {
    switch (wireType) {
      case WIRETYPE_VARINT:
        return varintEnd(schema, "an unknown field", p, end);
      case WIRETYPE_FIXED64:
        return fixed(schema, "an unknown field", p, end, 8);
      case WIRETYPE_FIXED32:
        return fixed(schema, "an unknown field", p, end, 4);
      case WIRETYPE_LENGTH_DELIMITED:
        {
          int len = length(schema, "an unknown field", p, end);
          return after + len;
        }
      default:
        throw malformed(p, "wire type " + wireType + " (groups) is not allowed in " + schema.name);
    }
  }

  private void expect(Schema schema, String field, int actual, int expected, int p)
      throws MalformedPayloadException {
    if (actual != expected) {
      throw malformed(
          p, schema.name + "." + field + " must have wire type " + expected + ": " + actual);
    }
  }

  private int varintEnd(Schema schema, String field, int p, int end)
      throws MalformedPayloadException {
    for (int i = 0; i < 10; i++) {
      if (p >= end) {
        throw malformed(p, "truncated varint in " + schema.name + "." + field);
      }
      if (buf[p++] >= 0) {
        return p;
      }
    }
    throw malformed(p, "varint longer than 10 bytes in " + schema.name + "." + field);
  }

  private int fixed(Schema schema, String field, int p, int end, int width)
      throws MalformedPayloadException {
    if (end - p < width) {
      throw malformed(p, "truncated " + (width * 8) + "-bit value in " + schema.name + "." + field);
    }
    return p + width;
  }

  /**
   * Reads the length varint at p, which must fit in what is left before end; {@link #after} is set
   * to the position after the varint.
   */
  private int length(Schema schema, String field, int p, int end) throws MalformedPayloadException {
    long value = 0;
    int q = p;
    for (int shift = 0; ; shift += 7) {
      if (q >= end) {
        throw malformed(q, "truncated length in " + schema.name + "." + field);
      }
      if (shift >= 35) {
        throw malformed(q, "length longer than 5 bytes in " + schema.name + "." + field);
      }
      byte b = buf[q++];
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        break;
      }
    }
    if (value > end - q) {
      throw malformed(
          q,
          schema.name
              + "."
              + field
              + " length must be at most the "
              + (end - q)
              + " bytes left: "
              + value);
    }
    after = q;
    return (int) value;
  }

  private MalformedPayloadException malformed(int p, String message) {
    return new MalformedPayloadException(message, p - base);
  }

  @Override
  public String toString() {
    return "OtlpSignalCounter{maxItems=" + maxItems + "}";
  }
}
