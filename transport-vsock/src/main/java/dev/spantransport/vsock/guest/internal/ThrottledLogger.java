package dev.spantransport.vsock.guest.internal;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs at most {@value #MAX_PER_MINUTE} messages a minute and then one notice that the rest of the
 * minute is suppressed, so a host outage or a full buffer cannot flood the application's log.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class ThrottledLogger {

  static final int MAX_PER_MINUTE = 5;
  private static final long MINUTE_NANOS = 60_000_000_000L;

  private final Logger logger;
  private long windowStart = System.nanoTime();
  private int count;

  /** Creates a throttled view of {@code logger}. */
  public ThrottledLogger(Logger logger) {
    this.logger = logger;
  }

  /** Logs {@code message} unless this minute's budget is spent. */
  public synchronized void log(Level level, String message, Throwable cause) {
    if (!logger.isLoggable(level)) {
      return;
    }
    long now = System.nanoTime();
    if (now - windowStart > MINUTE_NANOS) {
      windowStart = now;
      count = 0;
    }
    count++;
    if (count <= MAX_PER_MINUTE) {
      logger.log(level, message, cause);
    } else if (count == MAX_PER_MINUTE + 1) {
      logger.log(level, "Too many log messages; suppressing the rest for up to a minute.");
    }
  }

  /** Logs {@code message} unless this minute's budget is spent. */
  public void log(Level level, String message) {
    log(level, message, null);
  }
}
