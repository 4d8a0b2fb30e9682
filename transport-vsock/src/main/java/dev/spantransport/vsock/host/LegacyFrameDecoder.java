package dev.spantransport.vsock.host;

import java.io.IOException;

/**
 * Decodes the legacy Kata agent trace framing, so one receiver port serves both old and new guests.
 *
 * <p>The receiver tells the protocols apart by a connection's first byte: span-transport frames
 * start with {@code 0x53} (the magic "ST"); Kata agent frames start with an 8-byte big-endian
 * length whose first byte is {@code 0x00}. For such a connection the receiver reads the 8-byte
 * length prefix itself (rejecting lengths above the receiver's max frame length before allocating)
 * and hands each frame body to {@link #decode}. Without a decoder, such a connection is closed with
 * a logged reason.
 *
 * <p>The legacy protocol has no acknowledgements: its batches reach the sinks at most once, with a
 * per-connection sequence starting at 1 and an empty session id. The window still applies: while it
 * is full the receiver stops reading that connection.
 *
 * <p>Called on the receiver's I/O thread: must not block.
 */
@FunctionalInterface
public interface LegacyFrameDecoder {

  /**
   * Converts one legacy frame body into an OTLP {@code ExportTraceServiceRequest}.
   *
   * @param buffer holds the frame body; valid only during this call
   * @param offset where the body starts
   * @param length the body length
   * @return the protobuf-encoded request, or null to skip this frame
   * @throws IOException if the body is malformed; the connection is closed
   */
  byte[] decode(byte[] buffer, int offset, int length) throws IOException;
}
