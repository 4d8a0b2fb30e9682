package dev.spantransport.forwarder.dump;

import dev.spantransport.text.SafeText;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.io.PrintStream;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link LogRecordExporter} that prints each log record on one line, labelled with the guest that
 * sent it (as {@link TraceTreePrinter} labels traces), with its trace and span ids so it can be
 * matched with the trace tree: the {@code --dump-only} view of logs.
 *
 * <pre>
 * guest vsock cid=3 · service checkout · log WARN "payment retried" trace 4bf92f35… span 00f067aa… attempt=2
 * </pre>
 *
 * <p>Everything a guest controls is printed through {@link SafeText#escape}; long bodies and values
 * are cut. Thread-safe: each record is one {@code println}.
 */
public final class LogRecordPrinter implements LogRecordExporter {

  private static final int MAX_BODY_CHARS = 200;
  private static final int MAX_VALUE_CHARS = 48;
  private static final int MAX_ATTRIBUTES_SHOWN = 5;

  private final PrintStream out;
  private final AtomicLong printed = new AtomicLong();

  private LogRecordPrinter(PrintStream out) {
    this.out = out;
  }

  /**
   * Returns a printer writing to {@code out}.
   *
   * @param out where lines go
   * @return a new printer
   */
  public static LogRecordPrinter create(PrintStream out) {
    return new LogRecordPrinter(Objects.requireNonNull(out, "out"));
  }

  /** Prints every record, one line each. */
  @Override
  public CompletableResultCode export(Collection<LogRecordData> logs) {
    for (LogRecordData log : logs) {
      out.println(line(log));
      printed.incrementAndGet();
    }
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  /** Returns the line printed for {@code log}. */
  public static String line(LogRecordData log) {
    StringBuilder sb = new StringBuilder("guest ");
    sb.append(TraceTreePrinter.guestLabel(log.getResource())).append(" · log ");
    String severity = log.getSeverityText();
    if (severity == null || severity.isEmpty()) {
      severity = log.getSeverity().name();
    }
    sb.append(SafeText.escape(severity));
    if (log.getEventName() != null) {
      sb.append(" event ").append(SafeText.escape(log.getEventName()));
    }
    Value<?> body = log.getBodyValue();
    if (body != null) {
      sb.append(" \"").append(clip(body.asString(), MAX_BODY_CHARS)).append('"');
    }
    SpanContext context = log.getSpanContext();
    if (context.isValid()) {
      sb.append(" trace ")
          .append(context.getTraceId())
          .append(" span ")
          .append(context.getSpanId());
    }
    Map<String, Object> sorted = new TreeMap<>();
    log.getAttributes().forEach((AttributeKey<?> k, Object v) -> sorted.put(k.getKey(), v));
    int shown = 0;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (shown == MAX_ATTRIBUTES_SHOWN) {
        sb.append(" +").append(sorted.size() - shown).append(" more");
        break;
      }
      sb.append(' ')
          .append(SafeText.escape(e.getKey()))
          .append('=')
          .append(clip(String.valueOf(e.getValue()), MAX_VALUE_CHARS));
      shown++;
    }
    return sb.toString();
  }

  private static String clip(String s, int max) {
    return SafeText.escape(s.length() <= max ? s : s.substring(0, max - 1) + "…");
  }

  /** Returns how many records were printed. */
  public long printed() {
    return printed.get();
  }

  @Override
  public CompletableResultCode flush() {
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "LogRecordPrinter{printed=" + printed.get() + "}";
  }
}
