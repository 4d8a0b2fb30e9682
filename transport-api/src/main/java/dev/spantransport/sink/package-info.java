/**
 * Host-side sinks: where a receiver hands the span batches it got from guests.
 *
 * <p>A {@link dev.spantransport.sink.SpanSink} receives {@link dev.spantransport.sink.SpanBatch}
 * views of raw OTLP payloads. {@link dev.spantransport.sink.SpanExporterSink} plugs in any
 * OpenTelemetry {@code SpanExporter}; {@link dev.spantransport.sink.OtlpHttpSink} forwards the raw
 * bytes to an OTLP/HTTP collector without decoding them. Parameters are non-null unless a method
 * says otherwise.
 */
package dev.spantransport.sink;
