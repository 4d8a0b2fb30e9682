package dev.spantransport.vsock.host.internal;

import java.util.logging.Level;

/**
 * The deadlines of one {@link Connection}, checked on each timer tick of its loop: the handshake
 * timeout, the frame timeout, the idle timeout, the linger of a connection closing after a fatal
 * ERROR, and the quiet time after which it returns idle memory.
 *
 * <h2>Frame deadline</h2>
 *
 * A frame must arrive whole within the frame timeout of its first byte. A connection that has not
 * completed one in time (a guest announcing a large frame and trickling it) gets a fatal ERROR and
 * is closed; arriving bytes do not extend the deadline, time the receiver spends not reading
 * (window full, memory short) does not count.
 *
 * <p>Used on the loop thread only. This class is internal and may change without notice.
 */
final class ConnectionDeadlines {

  private static final long QUIET_NANOS = 1_000_000_000L;
  private static final long CLOSE_LINGER_NANOS = 2_000_000_000L;

  private final Connection connection;
  private final ReceiverConfig config;
  private final long createdNanos;
  private long lastReadNanos;
  private long closeDeadline;
  private long frameStartNanos = -1;
  private long lastTimerNanos;

  ConnectionDeadlines(Connection connection, ReceiverConfig config, long nowNanos) {
    this.connection = connection;
    this.config = config;
    this.createdNanos = nowNanos;
    this.lastReadNanos = nowNanos;
    this.lastTimerNanos = nowNanos;
  }

  /** Notes that bytes arrived at {@code now}. */
  void onRead(long now) {
    lastReadNanos = now;
  }

  /** Starts the linger of a connection that closes once its fatal ERROR is written. */
  void startClosing(long now) {
    closeDeadline = now + CLOSE_LINGER_NANOS;
  }

  /**
   * Starts the frame deadline when the bytes read leave a frame incomplete ({@code partial}) that
   * began in this read ({@code boundary}: a frame ended in it) or after none was pending; clears it
   * when none is.
   */
  void trackFrameStart(boolean partial, boolean boundary, long now) {
    if (!partial) {
      frameStartNanos = -1;
    } else if (frameStartNanos < 0 || boundary) {
      frameStartNanos = now;
    }
  }

  /** Checks the timeouts of a connection that is neither closed nor hung up, and idle memory. */
  void onTimer(long now) {
    int state = connection.state;
    if (state == Connection.CLOSING) {
      if (now - closeDeadline > 0) {
        connection.close();
      }
      return;
    }
    if (state == Connection.DETECT || state == Connection.HANDSHAKE) {
      if (now - createdNanos > config.handshakeTimeout().toNanos()) {
        connection.fail(
            Wire.PROTOCOL_VIOLATION,
            0,
            "handshake_timeout",
            "no CLIENT_HELLO within " + config.handshakeTimeout());
      }
      return;
    }
    long sinceLastTimer = now - lastTimerNanos;
    lastTimerNanos = now;
    if (frameStartNanos >= 0) {
      if (!connection.wantsRead()) {
        frameStartNanos += sinceLastTimer; // the receiver is not reading: not the guest's time
      } else if (now - frameStartNanos > config.frameTimeout().toNanos()) {
        connection.fail(
            Wire.PROTOCOL_VIOLATION,
            0,
            "frame_timeout",
            "frame not completed within "
                + config.frameTimeout()
                + " ("
                + connection.in.position()
                + " bytes buffered, "
                + connection.requiredCapacity()
                + " needed)");
        return;
      }
    }
    long idle = config.idleTimeout().toNanos();
    if (idle > 0 && now - lastReadNanos > idle && connection.window.count == 0) {
      connection.closeNow(Level.INFO, "idle", "idle for " + config.idleTimeout());
      return;
    }
    if (now - lastReadNanos > QUIET_NANOS) {
      connection.releaseIdleMemory();
    }
  }

  @Override
  public String toString() {
    return "ConnectionDeadlines{frameStarted=" + (frameStartNanos >= 0) + "}";
  }
}
