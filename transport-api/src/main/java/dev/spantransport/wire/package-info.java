/**
 * The span-transport wire protocol v1: a 16-byte big-endian frame header ({@link
 * dev.spantransport.wire.FrameDescriptor}), frame types, a non-blocking {@link
 * dev.spantransport.wire.FrameReader}, an allocation-free {@link
 * dev.spantransport.wire.FrameWriter} and the value classes of the control frames. The full
 * specification is {@code docs/PROTOCOL.md}.
 */
package dev.spantransport.wire;
