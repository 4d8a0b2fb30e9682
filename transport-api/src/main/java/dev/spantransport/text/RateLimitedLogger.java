package dev.spantransport.text;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A logger that lets at most a burst of records through per period and counts the rest, so that a
 * flood of bad peers cannot flood the log. The first record after a suppressed stretch says how
 * many were dropped.
 *
 * <p>Messages are written through {@link SafeText#escape}: they routinely carry text a guest
 * controls (its peer label, decoder errors quoting its payload), and a control character in them
 * must not reach a terminal or split a log line. Callers pass the raw text and must not escape it
 * themselves (a backslash would be doubled twice).
 *
 * <p>It is the one throttled logger of span-transport: the guest exporter, the receiver and every
 * sink use it, and a sink written elsewhere can too. Thread-safe.
 *
 * @since 0.1.0
 */
public final class RateLimitedLogger {

  private final Logger logger;
  private final long periodNanos;
  private final int burst;
  private final Object lock = new Object();
  private final AtomicLong suppressed = new AtomicLong();
  private final LongSupplier nanoTime;
  private long windowStart;
  private int inWindow;

  /**
   * Creates a logger that lets {@code burst} records through per {@code periodMillis}.
   *
   * @param logger where records go
   * @param burst records allowed per period; at least 1
   * @param periodMillis the period in milliseconds; at least 1
   */
  public RateLimitedLogger(Logger logger, int burst, long periodMillis) {
    this(logger, burst, periodMillis, System::nanoTime);
  }

  /** Like the public constructor, reading the time from {@code nanoTime} (tests). */
  RateLimitedLogger(Logger logger, int burst, long periodMillis, LongSupplier nanoTime) {
    Objects.requireNonNull(logger, "logger");
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1: " + burst);
    }
    if (periodMillis < 1) {
      throw new IllegalArgumentException("periodMillis must be at least 1: " + periodMillis);
    }
    this.logger = logger;
    this.burst = burst;
    this.periodNanos = periodMillis * 1_000_000L;
    this.nanoTime = nanoTime;
    this.windowStart = nanoTime.getAsLong();
  }

  /**
   * Logs {@code message}, escaped, (and {@code thrown}, if not null) unless the rate is exceeded.
   *
   * @param level the level
   * @param message the message
   * @param thrown the cause, or null
   */
  public void log(Level level, String message, Throwable thrown) {
    if (!logger.isLoggable(level)) {
      return;
    }
    long dropped;
    synchronized (lock) {
      long now = nanoTime.getAsLong();
      if (now - windowStart >= periodNanos) {
        windowStart = now;
        inWindow = 0;
      }
      if (inWindow >= burst) {
        suppressed.incrementAndGet();
        return;
      }
      inWindow++;
      dropped = suppressed.getAndSet(0);
    }
    String safe = SafeText.escape(message);
    String text = dropped == 0 ? safe : safe + " (" + dropped + " similar messages suppressed)";
    logger.log(level, text, thrown);
  }

  /**
   * Logs {@code message}, escaped, unless the rate is exceeded.
   *
   * @param level the level
   * @param message the message
   */
  public void log(Level level, String message) {
    log(level, message, null);
  }

  @Override
  public String toString() {
    return "RateLimitedLogger{logger="
        + logger.getName()
        + ", burst="
        + burst
        + ", periodMillis="
        + periodNanos / 1_000_000L
        + "}";
  }
}
