package dev.spantransport.vsock.host.internal;

import dev.spantransport.text.SafeText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.logging.Level;

/**
 * The replies of one {@link Connection}: its output buffer of control frames (SERVER_HELLO, PONG,
 * ERROR, GOAWAY), the pending cumulative ACK, and writing them to the guest. A guest that does not
 * read its replies gets its connection closed once the buffer is full; after a failed write replies
 * are dropped, and the connection goes on reading to the end of stream. Used on the loop thread
 * only.
 *
 * <p>This class is internal and may change without notice.
 */
final class ControlWriter {

  private final Connection connection;

  /** The buffered control frames, in write mode; frames are encoded straight into its array. */
  final ByteBuffer out = ByteBuffer.allocate(Wire.maxControlFrameLength() * 2);

  private long pendingAck = -1;
  private boolean outputLost;

  ControlWriter(Connection connection) {
    this.connection = connection;
  }

  void queueAck(long sequence) {
    if (sequence > pendingAck) {
      pendingAck = sequence;
    }
    connection.markDirty();
  }

  void queueError(int code, long sequence, boolean fatal, String message) {
    if (reserveOut()) {
      out.position(
          out.position() + Wire.error(out.array(), out.position(), sequence, code, fatal, message));
      connection.markDirty();
    }
  }

  /** Makes room for one control frame; closes the connection if the guest does not read. */
  boolean reserveOut() {
    if (out.remaining() >= Wire.maxControlFrameLength()) {
      return true;
    }
    writeOut();
    if (!connection.isClosed() && out.remaining() >= Wire.maxControlFrameLength()) {
      return true;
    }
    if (!connection.isClosed()) {
      connection.closeNow(
          Level.WARNING, "not_reading", "does not read its replies (output buffer full)");
    }
    return false;
  }

  /** Appends the pending ACK, if any and if it fits. */
  void appendAck() {
    if (pendingAck >= 0 && out.remaining() >= Wire.HEADER_LENGTH) {
      out.position(out.position() + Wire.ack(out.array(), out.position(), pendingAck));
      pendingAck = -1;
    }
  }

  void writeOut() {
    if (out.position() == 0) {
      return;
    }
    if (outputLost) {
      out.clear();
      return;
    }
    out.flip();
    try {
      connection.channel.write(out);
    } catch (IOException e) {
      // The guest hung up or stopped reading. What it sent before still counts (the session keeps
      // the acks for its reconnect), so keep reading to the end of stream and drop replies.
      out.clear();
      outputLost = true;
      ReceiverContext.LOGGER.log(
          Level.FINE,
          () ->
              SafeText.escape(
                  "write to "
                      + connection.label
                      + " failed, reading what is left: "
                      + e.getMessage()));
      return;
    }
    out.compact();
  }

  @Override
  public String toString() {
    return "ControlWriter{buffered=" + out.position() + ", pendingAck=" + pendingAck + "}";
  }
}
