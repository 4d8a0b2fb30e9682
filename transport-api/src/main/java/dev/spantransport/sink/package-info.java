/**
 * Host-side sinks: where a receiver hands the batches it got from guests, one sink type per
 * OpenTelemetry signal.
 *
 * <p>A {@link dev.spantransport.sink.SpanSink} receives {@link dev.spantransport.sink.SpanBatch}
 * views of raw OTLP trace requests, a {@link dev.spantransport.sink.LogSink} {@link
 * dev.spantransport.sink.LogBatch}es and a {@link dev.spantransport.sink.MetricSink} {@link
 * dev.spantransport.sink.MetricBatch}es; all three batch types are {@link
 * dev.spantransport.sink.OtlpBatch}es with the same identity, session and acknowledgement rules.
 * {@link dev.spantransport.sink.SpanExporterSink} plugs in any OpenTelemetry {@code SpanExporter};
 * {@link dev.spantransport.sink.OtlpHttpSink} forwards the raw bytes to an OTLP/HTTP collector
 * without decoding them. Parameters are non-null unless a method says otherwise.
 */
package dev.spantransport.sink;
