/**
 * A sink that writes span batches to Apache Kafka as OTLP protobuf records, for fleets of hosts
 * fanning in to a durable log that the OpenTelemetry Collector's {@code kafka} receiver reads.
 *
 * <p>{@link dev.spantransport.sink.kafka.KafkaSink} is configured through {@link
 * dev.spantransport.sink.kafka.KafkaSinkBuilder}. Parameters are non-null unless a method says
 * otherwise. Classes under {@code internal} are not public API.
 */
package dev.spantransport.sink.kafka;
