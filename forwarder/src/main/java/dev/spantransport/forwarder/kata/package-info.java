/**
 * Decoding of the Kata Containers agent's legacy span frames: {@link
 * dev.spantransport.forwarder.kata.KataFrameReader} splits a connection's bytes into frames (8-byte
 * big-endian length + payload) and {@link dev.spantransport.forwarder.kata.KataSpanDecoder} turns a
 * payload (the agent's {@code bincode} form of the Rust {@code opentelemetry} 0.14 {@code
 * SpanData}, or its {@code serde_json} form) into an OpenTelemetry Java {@code SpanData}. The
 * bincode layout is documented in {@code forwarder/KATA-FORMAT.md}.
 */
package dev.spantransport.forwarder.kata;
