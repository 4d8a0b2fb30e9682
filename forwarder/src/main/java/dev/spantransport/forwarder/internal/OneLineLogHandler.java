package dev.spantransport.forwarder.internal;

import dev.spantransport.text.SafeText;
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
 * <p>Each record is exactly one line: receiver log lines arrive escaped already (guest text goes
 * through {@link SafeText#escape} where it is logged), and as a last guard a message or cause that
 * still holds a control character is escaped here as a whole.
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
        .append(oneLine(record.getMessage()));
    if (record.getThrown() != null) {
      sb.append(" (").append(oneLine(String.valueOf(record.getThrown()))).append(')');
    }
    synchronized (err) {
      err.println(sb);
      err.flush();
    }
  }

  /** Escapes {@code text} if it holds a control character; else returns it as it is. */
  private static String oneLine(String text) {
    if (text == null) {
      return "null";
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
        return SafeText.escape(text);
      }
    }
    return text;
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
