package dev.spantransport.forwarder.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.spantransport.text.SafeText;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Writes java.util.logging records as one line each to a stream, at the forwarder's {@code
 * --log-level}, in place of the root logger's handlers: as text ({@code <time> <LEVEL> <logger>:
 * <message>}) or, with {@code --log-format json}, as one JSON object per line with the fields
 * Kata's slog-based tools write ({@code ts}, {@code level} as slog's TRCE/DEBG/INFO/WARN/ERRO/CRIT,
 * {@code msg}, {@code name}, {@code source}, {@code pid}, {@code subsystem}, {@code version}) plus
 * ours ({@code logger}, {@code thread}, and {@code error} when the record carries an exception).
 *
 * <p>Each record is exactly one line. Text: receiver log lines arrive escaped already (guest text
 * goes through {@link SafeText#escape} where it is logged), and as a last guard a message or cause
 * that still holds a control character is escaped here as a whole. JSON: every control character
 * (C0, DEL, C1) and the line and paragraph separators are written as {@code \}{@code uXXXX} escapes
 * (the usual two-character escapes for tab, newline and the like), so a parser gets the text back
 * exactly and the line never breaks.
 *
 * <p>This class is internal and may change without notice.
 */
public final class OneLineLogHandler extends Handler {

  private static final java.time.ZoneOffset UTC = java.time.ZoneOffset.UTC;

  private static final JsonFactory JSON = new JsonFactory();
  private static final CharacterEscapes ESCAPES = new LogLineEscapes();
  private static final String PROGRAM = "span-transport-forwarder";

  private final PrintStream err;
  private final boolean json;
  private final String pid = Long.toString(ProcessHandle.current().pid());
  private final String version;
  private final Formatter parameters = new SimpleFormatter();
  private final Handler[] replaced;
  private final Level previousLevel;

  private OneLineLogHandler(PrintStream err, Level level, boolean json, String version) {
    this.err = err;
    this.json = json;
    this.version = version;
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
    return install(err, kataLevel, false, "");
  }

  /**
   * Installs a handler on the root logger, replacing its handlers until {@link #uninstall()}.
   *
   * @param err where lines go
   * @param kataLevel one of trace, debug, info, warn, error, critical
   * @param json whether to write JSON objects (else text lines)
   * @param version the forwarder's version, for the JSON {@code version} field
   * @return the installed handler
   */
  public static OneLineLogHandler install(
      PrintStream err, String kataLevel, boolean json, String version) {
    Level level = toLevel(kataLevel);
    OneLineLogHandler handler = new OneLineLogHandler(err, level, json, version);
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
    String line = json ? jsonLine(record) : textLine(record);
    synchronized (err) {
      err.println(line);
      err.flush();
    }
  }

  private String textLine(LogRecord record) {
    StringBuilder sb = new StringBuilder();
    sb.append(Instant.ofEpochMilli(record.getMillis()))
        .append(' ')
        .append(record.getLevel().getName())
        .append(' ')
        .append(shortName(record.getLoggerName()))
        .append(": ")
        .append(oneLine(message(record)));
    if (record.getThrown() != null) {
      sb.append(" (").append(oneLine(String.valueOf(record.getThrown()))).append(')');
    }
    return sb.toString();
  }

  private String jsonLine(LogRecord record) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.setCharacterEscapes(ESCAPES);
      g.writeStartObject();
      g.writeStringField(
          "ts", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(record.getInstant().atOffset(UTC)));
      g.writeStringField("level", slogLevel(record.getLevel()));
      g.writeStringField("msg", message(record));
      g.writeStringField("name", PROGRAM);
      g.writeStringField("source", PROGRAM);
      g.writeStringField("pid", pid);
      g.writeStringField("subsystem", shortName(record.getLoggerName()));
      g.writeStringField("version", version);
      g.writeStringField("logger", String.valueOf(record.getLoggerName()));
      g.writeStringField("thread", Thread.currentThread().getName());
      if (record.getThrown() != null) {
        g.writeStringField("error", String.valueOf(record.getThrown()));
      }
      g.writeEndObject();
    } catch (IOException e) {
      // A StringWriter does not fail; keep the record rather than lose it.
      return textLine(record);
    }
    return out.toString();
  }

  /** The record's message with its {0}-style parameters filled in. */
  private String message(LogRecord record) {
    String text = parameters.formatMessage(record);
    return text == null ? "null" : text;
  }

  /** slog's short level names, as Kata's JSON logs write them. */
  static String slogLevel(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERRO";
    }
    if (v >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (v >= Level.INFO.intValue()) {
      return "INFO";
    }
    if (v >= Level.FINE.intValue()) {
      return "DEBG";
    }
    return "TRCE";
  }

  /** JSON escapes for characters that would break or disguise a log line. */
  private static final class LogLineEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = standardAsciiEscapesForJSON();

    LogLineEscapes() {
      ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      if ((ch >= 0x80 && ch <= 0x9f) || ch == 0x2028 || ch == 0x2029) {
        return new SerializedString(String.format("\\u%04x", ch));
      }
      return null;
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
