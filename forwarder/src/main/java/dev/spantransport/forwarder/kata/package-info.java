/**
 * Decoding of the Kata Containers agent's legacy span frames: {@link
 * dev.spantransport.forwarder.kata.KataFrameReader} splits a connection's bytes into frames (8-byte
 * big-endian length + payload) and {@link dev.spantransport.forwarder.kata.KataSpanDecoder} turns a
 * payload (the {@code serde_json} form of the Rust {@code opentelemetry} 0.17 {@code SpanData})
 * into an OpenTelemetry Java {@code SpanData}.
 */
package dev.spantransport.forwarder.kata;
