package dev.spantransport.vsock.guest.internal;

import java.nio.ByteBuffer;

/**
 * One slot of the in-flight window: a complete SPANS frame (header and payload, written once) and
 * its bookkeeping. Slots and their buffers are reused. Guarded by the {@link InflightWindow}'s
 * lock, except the frame bytes, which the exporting thread writes before publishing and the sender
 * reads after.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
final class Batch {

  long sequence;
  int spanCount; // items: spans, log records or metric data points, by frameType

  /** SPANS, LOGS or METRICS. */
  int frameType = dev.spantransport.wire.FrameType.SPANS;

  /** The metrics of the exporter that made this batch; null: the window's own (spans). */
  ExporterMetrics owner;

  int frameLength;
  byte[] buffer = new byte[0];
  ByteBuffer view = ByteBuffer.wrap(buffer);

  /** Encoded and visible to the sender. */
  boolean ready;

  /** Held by the window (false once acked, dropped or evicted). */
  boolean inWindow;

  /** The sender is writing this frame; the slot must not be reused until it is done. */
  boolean writing;

  /** The host rejected this batch for good; its ack counts it as dropped, not acked. */
  boolean rejected;

  /** Why the host rejected it, when {@link #rejected}. */
  ExporterMetrics.DropReason rejectReason;

  /** How many times the frame was handed to a connection. */
  int sends;

  int refusals; // times the host refused this batch (SINK_UNAVAILABLE)

  void ensureCapacity(int length) {
    if (buffer.length < length) {
      int capacity = Integer.highestOneBit(Math.max(length - 1, 1)) << 1;
      buffer = new byte[capacity > 0 && capacity >= length ? capacity : length];
      view = ByteBuffer.wrap(buffer);
    }
  }

  void releaseBuffer() {
    buffer = new byte[0];
    view = ByteBuffer.wrap(buffer);
  }

  ByteBuffer frame() {
    view.clear().limit(frameLength);
    return view;
  }
}
