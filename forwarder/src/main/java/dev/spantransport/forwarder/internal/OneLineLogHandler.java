package dev.spantransport.forwarder.internal;

import java.io.PrintStream;
import java.time.Instant;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Writes java.util.logging records as one line each ({@code <time> <LEVEL> <logger>: <message>}) to
 * a stream, at the forwarder's {@code --log-level}, in place of the root logger's handlers.
 *
 * <p>This class is internal and may change without notice.
 */
public final class OneLineLogHandler extends Handler {

  private final PrintStream err;
  private final Handler[] replaced;
  private final Level previousLevel;

  private OneLineLogHandler(PrintStream err, Level level) {
    this.err = err;
    Logger root = Logger.getLogger("");
    this.replaced = root.getHandlers();
    this.previousLevel = root.getLevel();
    setLevel(level);
  }

  /**
   * Installs a handler on the root logger, replacing its handlers until {@link #uninstall()}.
   *
   * @param err where lines go
   * @param kataLevel one of trace, debug, info, warn, error, critical
   * @return the installed handler
   */
  public static OneLineLogHandler install(PrintStream err, String kataLevel) {
    Level level = toLevel(kataLevel);
    OneLineLogHandler handler = new OneLineLogHandler(err, level);
    Logger root = Logger.getLogger("");
    for (Handler h : handler.replaced) {
      root.removeHandler(h);
    }
    root.addHandler(handler);
    root.setLevel(level);
    return handler;
  }

  /** Maps Kata's (slog's) level names to java.util.logging levels. */
  static Level toLevel(String kataLevel) {
    return switch (kataLevel) {
      case "trace" -> Level.FINEST;
      case "debug" -> Level.FINE;
      case "warn" -> Level.WARNING;
      case "error", "critical" -> Level.SEVERE;
      default -> Level.INFO;
    };
  }

  /** Restores the root logger's previous handlers and level. */
  public void uninstall() {
    Logger root = Logger.getLogger("");
    root.removeHandler(this);
    for (Handler h : replaced) {
      root.addHandler(h);
    }
    root.setLevel(previousLevel);
  }

  @Override
  public void publish(LogRecord record) {
    if (!isLoggable(record)) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(Instant.ofEpochMilli(record.getMillis()))
        .append(' ')
        .append(record.getLevel().getName())
        .append(' ')
        .append(shortName(record.getLoggerName()))
        .append(": ")
        .append(record.getMessage());
    if (record.getThrown() != null) {
      sb.append(" (").append(record.getThrown()).append(')');
    }
    synchronized (err) {
      err.println(sb);
      err.flush();
    }
  }

  private static String shortName(String name) {
    if (name == null) {
      return "";
    }
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(dot + 1);
  }

  @Override
  public void flush() {
    err.flush();
  }

  @Override
  public void close() {
    flush();
  }
}
