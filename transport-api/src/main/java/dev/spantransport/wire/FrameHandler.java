package dev.spantransport.wire;

import java.io.IOException;

/**
 * Receives the frames a {@link FrameReader} decodes, one call per frame. The payload is a view into
 * the reader's buffer, not a copy: it is valid only during the call, and a handler that keeps it
 * must copy it.
 */
@FunctionalInterface
public interface FrameHandler {

  /**
   * Handles one frame.
   *
   * @param type the frame type, a {@link FrameType} value
   * @param sequence the header's sequence field
   * @param buffer the array holding the payload; do not write to it
   * @param offset index of the first payload byte in {@code buffer}
   * @param length number of payload bytes, possibly 0
   * @throws IOException to abort reading; the exception propagates out of {@link FrameReader#read}
   */
  void onFrame(int type, long sequence, byte[] buffer, int offset, int length) throws IOException;
}
