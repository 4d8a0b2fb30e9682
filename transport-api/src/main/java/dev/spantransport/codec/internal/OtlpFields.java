package dev.spantransport.codec.internal;

/**
 * Field numbers of the OTLP messages the codec reads and writes, from opentelemetry-proto
 * (collector/trace/v1, trace/v1, resource/v1, common/v1).
 *
 * <p>This class is internal and may change at any time.
 */
public final class OtlpFields {
  private OtlpFields() {}

  // ExportTraceServiceRequest
  public static final int REQUEST_RESOURCE_SPANS = 1;

  // ResourceSpans
  public static final int RESOURCE_SPANS_RESOURCE = 1;
  public static final int RESOURCE_SPANS_SCOPE_SPANS = 2;
  public static final int RESOURCE_SPANS_SCHEMA_URL = 3;

  // Resource
  public static final int RESOURCE_ATTRIBUTES = 1;
  public static final int RESOURCE_DROPPED_ATTRIBUTES_COUNT = 2;
  public static final int RESOURCE_ENTITY_REFS = 3;

  // ScopeSpans
  public static final int SCOPE_SPANS_SCOPE = 1;
  public static final int SCOPE_SPANS_SPANS = 2;
  public static final int SCOPE_SPANS_SCHEMA_URL = 3;

  // InstrumentationScope
  public static final int SCOPE_NAME = 1;
  public static final int SCOPE_VERSION = 2;
  public static final int SCOPE_ATTRIBUTES = 3;
  public static final int SCOPE_DROPPED_ATTRIBUTES_COUNT = 4;

  // Span
  public static final int SPAN_TRACE_ID = 1;
  public static final int SPAN_SPAN_ID = 2;
  public static final int SPAN_TRACE_STATE = 3;
  public static final int SPAN_PARENT_SPAN_ID = 4;
  public static final int SPAN_NAME = 5;
  public static final int SPAN_KIND = 6;
  public static final int SPAN_START_TIME = 7;
  public static final int SPAN_END_TIME = 8;
  public static final int SPAN_ATTRIBUTES = 9;
  public static final int SPAN_DROPPED_ATTRIBUTES_COUNT = 10;
  public static final int SPAN_EVENTS = 11;
  public static final int SPAN_DROPPED_EVENTS_COUNT = 12;
  public static final int SPAN_LINKS = 13;
  public static final int SPAN_DROPPED_LINKS_COUNT = 14;
  public static final int SPAN_STATUS = 15;
  public static final int SPAN_FLAGS = 16;

  // Span.Event
  public static final int EVENT_TIME = 1;
  public static final int EVENT_NAME = 2;
  public static final int EVENT_ATTRIBUTES = 3;
  public static final int EVENT_DROPPED_ATTRIBUTES_COUNT = 4;

  // Span.Link
  public static final int LINK_TRACE_ID = 1;
  public static final int LINK_SPAN_ID = 2;
  public static final int LINK_TRACE_STATE = 3;
  public static final int LINK_ATTRIBUTES = 4;
  public static final int LINK_DROPPED_ATTRIBUTES_COUNT = 5;
  public static final int LINK_FLAGS = 6;

  // Status
  public static final int STATUS_MESSAGE = 2;
  public static final int STATUS_CODE = 3;

  // KeyValue
  public static final int KEY_VALUE_KEY = 1;
  public static final int KEY_VALUE_VALUE = 2;

  // AnyValue
  public static final int ANY_STRING = 1;
  public static final int ANY_BOOL = 2;
  public static final int ANY_INT = 3;
  public static final int ANY_DOUBLE = 4;
  public static final int ANY_ARRAY = 5;
  public static final int ANY_KVLIST = 6;
  public static final int ANY_BYTES = 7;

  // ArrayValue and KeyValueList
  public static final int LIST_VALUES = 1;

  /** OTLP SpanFlags: the W3C trace flags occupy the low 8 bits. */
  public static final int FLAGS_TRACE_FLAGS_MASK = 0xFF;

  /** OTLP SpanFlags: whether the parent (or link) context is remote is known. */
  public static final int FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;

  /** OTLP SpanFlags: the parent (or link) context is remote. */
  public static final int FLAGS_CONTEXT_IS_REMOTE = 0x200;

  /** Deepest AnyValue nesting (arrays and key-value lists) the codec accepts. */
  public static final int MAX_VALUE_DEPTH = 32;
}
