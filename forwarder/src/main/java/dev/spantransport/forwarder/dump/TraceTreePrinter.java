package dev.spantransport.forwarder.dump;

import dev.spantransport.text.SafeText;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link SpanExporter} that prints spans as a readable tree per trace, labelled with the guest
 * that sent them: the {@code --dump-only} view of the forwarder and the output of the demo.
 *
 * <pre>
 * guest hvsock /run/vm/vm1.sock_10240 pid=4242 · service checkout
 * trace 4bf92f3577b34da6a3ce929d0e0e4736 · 4 spans · 12.3 ms
 * └─ GET /api/orders/{id} [SERVER] (12.3 ms) http.method=GET http.status_code=500 status=ERROR
 *    ├─ SELECT orders [CLIENT] (3.1 ms) db.system=postgresql
 *    │  · event retry attempt=2
 *    └─ cache.get (0.2 ms) cache.hit=false
 * </pre>
 *
 * <p>Spans are grouped by guest (the {@code spantransport.peer.*} resource attributes a receiver
 * adds, plus {@code service.name}) and trace id, and held until the trace is quiet: its root
 * arrived and no span came for the quiet period, or no span came for ten quiet periods (a trace
 * whose root never comes). Children are ordered by start time; a span whose parent never arrived is
 * printed at the top level and marked as such. Holding is bounded: beyond {@code maxTraces} traces
 * or {@code maxSpans} spans held, the oldest trace is printed at once, incomplete. {@link #flush()}
 * and {@link #shutdown()} print everything held.
 *
 * <p>Everything a guest controls (span and event names, attribute keys and values, status messages,
 * the guest label's values) is printed through {@link SafeText#escape}, so no control character
 * from a guest reaches the terminal and no guest string can end its line or forge another.
 *
 * <p>Thread-safe; each trace is printed whole, never interleaved with another.
 */
public final class TraceTreePrinter implements SpanExporter {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final String PEER_PREFIX = "spantransport.peer.";
  private static final int MAX_ATTRIBUTES_SHOWN = 5;
  private static final int MAX_VALUE_CHARS = 48;
  // Too long for a one-line view; the collector keeps them.
  private static final Set<String> HIDDEN = Set.of("exception.stacktrace");

  private final PrintStream out;
  private final long quietNanos;
  private final int maxTraces;
  private final int maxSpans;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean shutdown = new AtomicBoolean();

  // Guarded by this.
  private final LinkedHashMap<String, PendingTrace> pending = new LinkedHashMap<>();
  private int heldSpans;
  private long spansPrinted;
  private long tracesPrinted;
  private final Map<String, Long> spansPerGuest = new TreeMap<>();

  private TraceTreePrinter(Builder b) {
    this.out = b.out;
    this.quietNanos = b.quietPeriod.toNanos();
    this.maxTraces = b.maxTraces;
    this.maxSpans = b.maxSpans;
    if (quietNanos > 0) {
      timer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "trace-tree-printer");
                t.setDaemon(true);
                return t;
              });
      long tick = Math.max(quietNanos / 2, TimeUnit.MILLISECONDS.toNanos(10));
      timer.scheduleAtFixedRate(this::printQuietTraces, tick, tick, TimeUnit.NANOSECONDS);
    } else {
      timer = null;
    }
  }

  /**
   * Returns a builder that prints to {@code out}.
   *
   * @param out where trees go
   * @return a builder with a 300 ms quiet period, 1024 traces and 100,000 spans held at most
   */
  public static Builder builder(PrintStream out) {
    return new Builder(Objects.requireNonNull(out, "out"));
  }

  /**
   * Holds the spans until their trace is quiet, then prints it. Fails after shutdown.
   *
   * @param spans the spans
   * @return success, at once
   */
  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    long now = System.nanoTime();
    synchronized (this) {
      for (SpanData span : spans) {
        String guest = guestLabel(span.getResource());
        String key = guest + '\n' + span.getTraceId();
        PendingTrace trace = pending.get(key);
        if (trace == null) {
          trace = new PendingTrace(guest, span.getTraceId());
          pending.put(key, trace);
        }
        trace.spans.add(span);
        trace.lastNanos = now;
        if (isRoot(span)) {
          trace.hasRoot = true;
        }
        heldSpans++;
      }
      while (!pending.isEmpty() && (pending.size() > maxTraces || heldSpans > maxSpans)) {
        printOldest();
      }
    }
    return CompletableResultCode.ofSuccess();
  }

  /** Prints every trace held now, complete or not. */
  @Override
  public CompletableResultCode flush() {
    synchronized (this) {
      while (!pending.isEmpty()) {
        printOldest();
      }
    }
    return CompletableResultCode.ofSuccess();
  }

  /** Prints everything held and stops the timer; a second call does nothing. */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      return CompletableResultCode.ofSuccess();
    }
    if (timer != null) {
      timer.shutdownNow();
    }
    return flush();
  }

  /** Returns how many spans have been printed so far. */
  public synchronized long spansPrinted() {
    return spansPrinted;
  }

  /** Returns how many trace trees have been printed so far (a trace cut by limits counts twice). */
  public synchronized long tracesPrinted() {
    return tracesPrinted;
  }

  /** Returns the spans printed so far per guest label, in label order. */
  public synchronized Map<String, Long> spansPerGuest() {
    return new TreeMap<>(spansPerGuest);
  }

  /** Returns how many spans are held, waiting for their trace to be quiet. */
  public synchronized int heldSpans() {
    return heldSpans;
  }

  private void printQuietTraces() {
    long now = System.nanoTime();
    synchronized (this) {
      Iterator<PendingTrace> it = pending.values().iterator();
      while (it.hasNext()) {
        PendingTrace t = it.next();
        long quiet = now - t.lastNanos;
        if ((t.hasRoot && quiet >= quietNanos) || quiet >= 10 * quietNanos) {
          it.remove();
          print(t);
        }
      }
    }
  }

  private void printOldest() {
    Iterator<PendingTrace> it = pending.values().iterator();
    PendingTrace t = it.next();
    it.remove();
    print(t);
  }

  private void print(PendingTrace trace) {
    heldSpans -= trace.spans.size();
    spansPrinted += trace.spans.size();
    tracesPrinted++;
    spansPerGuest.merge(trace.guest, (long) trace.spans.size(), Long::sum);
    out.print(render(trace.guest, trace.traceId, trace.spans));
    out.flush();
  }

  /**
   * Renders one trace as text, the way this printer prints it.
   *
   * @param guest the guest label (see {@link #guestLabel(Resource)})
   * @param traceId the trace id
   * @param spans the spans of that trace from that guest
   * @return the text, ending in a blank line
   */
  static String render(String guest, String traceId, List<SpanData> spans) {
    Map<String, SpanData> byId = new HashMap<>();
    for (SpanData s : spans) {
      byId.put(s.getSpanId(), s);
    }
    Map<String, List<SpanData>> children = new HashMap<>();
    List<SpanData> tops = new ArrayList<>();
    for (SpanData s : spans) {
      String parent = s.getParentSpanId();
      if (s.getParentSpanContext().isValid()
          && byId.containsKey(parent)
          && !parent.equals(s.getSpanId())) {
        children.computeIfAbsent(parent, k -> new ArrayList<>()).add(s);
      } else {
        tops.add(s);
      }
    }
    Comparator<SpanData> byStart =
        Comparator.comparingLong(SpanData::getStartEpochNanos).thenComparing(SpanData::getName);
    tops.sort(byStart);
    children.values().forEach(l -> l.sort(byStart));

    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    for (SpanData s : spans) {
      start = Math.min(start, s.getStartEpochNanos());
      end = Math.max(end, s.getEndEpochNanos());
    }
    StringBuilder sb = new StringBuilder();
    sb.append("guest ").append(guest).append('\n');
    sb.append("trace ")
        .append(traceId)
        .append(" · ")
        .append(spans.size())
        .append(spans.size() == 1 ? " span" : " spans")
        .append(" · ")
        .append(duration(end - start))
        .append('\n');
    Set<String> printed = new HashSet<>();
    for (int i = 0; i < tops.size(); i++) {
      renderSpan(sb, tops.get(i), "", i == tops.size() - 1, children, byId, printed);
    }
    sb.append('\n');
    return sb.toString();
  }

  private static void renderSpan(
      StringBuilder sb,
      SpanData span,
      String prefix,
      boolean last,
      Map<String, List<SpanData>> children,
      Map<String, SpanData> byId,
      Set<String> printed) {
    if (!printed.add(span.getSpanId())) {
      return; // a parent cycle in a hostile payload: print each span once
    }
    sb.append(prefix).append(last ? "└─ " : "├─ ").append(spanLine(span, byId)).append('\n');
    String childPrefix = prefix + (last ? "   " : "│  ");
    List<SpanData> kids = children.getOrDefault(span.getSpanId(), List.of());
    for (EventData event : span.getEvents()) {
      sb.append(childPrefix)
          .append(kids.isEmpty() ? "  " : "│ ")
          .append("· event ")
          .append(SafeText.escape(event.getName()));
      appendAttributes(sb, event.getAttributes());
      sb.append('\n');
    }
    for (int i = 0; i < kids.size(); i++) {
      renderSpan(sb, kids.get(i), childPrefix, i == kids.size() - 1, children, byId, printed);
    }
  }

  private static String spanLine(SpanData span, Map<String, SpanData> byId) {
    StringBuilder sb = new StringBuilder(SafeText.escape(span.getName()));
    if (span.getKind() != SpanKind.INTERNAL) {
      sb.append(" [").append(span.getKind()).append(']');
    }
    sb.append(" (")
        .append(duration(span.getEndEpochNanos() - span.getStartEpochNanos()))
        .append(')');
    appendAttributes(sb, span.getAttributes());
    StatusCode status = span.getStatus().getStatusCode();
    if (status == StatusCode.ERROR) {
      sb.append(" status=ERROR");
      String message = span.getStatus().getDescription();
      if (message != null && !message.isEmpty()) {
        sb.append(" \"").append(clip(message)).append('"');
      }
    }
    String parent = span.getParentSpanId();
    if (span.getParentSpanContext().isValid() && !byId.containsKey(parent)) {
      sb.append(span.getParentSpanContext().isRemote() ? " (remote parent " : " (parent ")
          .append(parent)
          .append(span.getParentSpanContext().isRemote() ? ")" : " not received)");
    }
    return sb.toString();
  }

  private static void appendAttributes(StringBuilder sb, Attributes attributes) {
    if (attributes.isEmpty()) {
      return;
    }
    Map<String, Object> sorted = new TreeMap<>();
    attributes.forEach(
        (k, v) -> {
          if (!HIDDEN.contains(k.getKey())) {
            sorted.put(k.getKey(), v);
          }
        });
    int shown = 0;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (shown == MAX_ATTRIBUTES_SHOWN) {
        sb.append(" +").append(sorted.size() - shown).append(" more");
        break;
      }
      sb.append(' ')
          .append(SafeText.escape(e.getKey()))
          .append('=')
          .append(clip(String.valueOf(e.getValue())));
      shown++;
    }
  }

  /** Cuts a value to {@code MAX_VALUE_CHARS} characters, then escapes it. */
  private static String clip(String s) {
    return SafeText.escape(
        s.length() <= MAX_VALUE_CHARS ? s : s.substring(0, MAX_VALUE_CHARS - 1) + "…");
  }

  /**
   * Formats a duration for people: microseconds below a millisecond, milliseconds below a second,
   * else seconds.
   *
   * @param nanos the duration in nanoseconds
   * @return e.g. {@code 850 µs}, {@code 12.3 ms}, {@code 1.25 s}
   */
  public static String duration(long nanos) {
    if (nanos < 0) {
      return "?";
    }
    if (nanos < 1_000_000) {
      return String.format(Locale.ROOT, "%d µs", nanos / 1_000);
    }
    if (nanos < 1_000_000_000) {
      return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }

  /**
   * Returns the label of the guest a resource belongs to: the transport's {@code
   * spantransport.peer.*} attributes (e.g. {@code vsock cid=3}, {@code hvsock /run/vm.sock_10240
   * pid=42}) and the service name; {@code local} when no receiver tagged it. Values are escaped
   * with {@link SafeText#escape}.
   *
   * @param resource a span's resource
   * @return the label
   */
  public static String guestLabel(Resource resource) {
    Map<String, Object> peer = new TreeMap<>();
    resource
        .getAttributes()
        .forEach(
            (k, v) -> {
              if (k.getKey().startsWith(PEER_PREFIX)) {
                peer.put(k.getKey().substring(PEER_PREFIX.length()), v);
              }
            });
    StringJoiner j = new StringJoiner(" ");
    Object transport = peer.remove("transport");
    j.add(transport == null ? "local" : SafeText.escape(transport.toString()));
    Object path = peer.remove("socket_path");
    if (path != null) {
      j.add(SafeText.escape(path.toString()));
    }
    Object address = peer.remove("address");
    Object port = peer.remove("port");
    if (address != null) {
      j.add(SafeText.escape(address + (port != null ? ":" + port : "")));
    } else if (port != null) {
      peer.put("port", port);
    }
    for (String k : List.of("cid", "port", "pid", "uid")) {
      Object v = peer.remove(k);
      if (v != null) {
        j.add(k + "=" + SafeText.escape(String.valueOf(v)));
      }
    }
    peer.remove("gid");
    peer.remove("user");
    peer.forEach((k, v) -> j.add(SafeText.escape(k + "=" + v)));
    String service = resource.getAttribute(SERVICE_NAME);
    if (service != null) {
      return j + " · service " + SafeText.escape(service);
    }
    return j.toString();
  }

  private static boolean isRoot(SpanData span) {
    return !span.getParentSpanContext().isValid() || span.getParentSpanContext().isRemote();
  }

  @Override
  public String toString() {
    return "TraceTreePrinter{quietPeriod="
        + Duration.ofNanos(quietNanos)
        + ", maxTraces="
        + maxTraces
        + ", maxSpans="
        + maxSpans
        + "}";
  }

  private static final class PendingTrace {
    final String guest;
    final String traceId;
    final List<SpanData> spans = new ArrayList<>();
    long lastNanos;
    boolean hasRoot;

    PendingTrace(String guest, String traceId) {
      this.guest = guest;
      this.traceId = traceId;
    }
  }

  /** Configures a {@link TraceTreePrinter}. Not thread-safe. */
  public static final class Builder {
    private final PrintStream out;
    private Duration quietPeriod = Duration.ofMillis(300);
    private int maxTraces = 1024;
    private int maxSpans = 100_000;

    private Builder(PrintStream out) {
      this.out = out;
    }

    /**
     * Sets how long a trace whose root arrived must be quiet before it is printed; zero prints only
     * on limits, {@code flush()} and {@code shutdown()}. Default 300 ms.
     *
     * @param quietPeriod zero or positive
     * @return this builder
     */
    public Builder setQuietPeriod(Duration quietPeriod) {
      Objects.requireNonNull(quietPeriod, "quietPeriod");
      if (quietPeriod.isNegative()) {
        throw new IllegalArgumentException("quietPeriod must not be negative: " + quietPeriod);
      }
      this.quietPeriod = quietPeriod;
      return this;
    }

    /**
     * Sets the most traces held at once. Default 1024.
     *
     * @param maxTraces at least 1
     * @return this builder
     */
    public Builder setMaxTraces(int maxTraces) {
      if (maxTraces < 1) {
        throw new IllegalArgumentException("maxTraces must be at least 1: " + maxTraces);
      }
      this.maxTraces = maxTraces;
      return this;
    }

    /**
     * Sets the most spans held at once, all traces together. Default 100,000.
     *
     * @param maxSpans at least 1
     * @return this builder
     */
    public Builder setMaxSpans(int maxSpans) {
      if (maxSpans < 1) {
        throw new IllegalArgumentException("maxSpans must be at least 1: " + maxSpans);
      }
      this.maxSpans = maxSpans;
      return this;
    }

    /**
     * Builds the printer; with a non-zero quiet period it starts a daemon timer thread.
     *
     * @return a new printer
     */
    public TraceTreePrinter build() {
      return new TraceTreePrinter(this);
    }
  }
}
