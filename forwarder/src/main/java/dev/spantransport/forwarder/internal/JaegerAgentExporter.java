package dev.spantransport.forwarder.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.jaegertracing.agent.thrift.Agent;
import io.jaegertracing.thriftjava.Batch;
import io.jaegertracing.thriftjava.Log;
import io.jaegertracing.thriftjava.Process;
import io.jaegertracing.thriftjava.Span;
import io.jaegertracing.thriftjava.SpanRef;
import io.jaegertracing.thriftjava.SpanRefType;
import io.jaegertracing.thriftjava.Tag;
import io.jaegertracing.thriftjava.TagType;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TTransportException;

/**
 * Sends spans to a Jaeger agent as kata-trace-forwarder up to Kata 3.31 did: Jaeger's {@code
 * Agent.emitBatch} in thrift-compact, one oneway message per UDP datagram, using the generated
 * classes of {@code io.jaegertracing:jaeger-thrift}. Spans are grouped by resource into one {@link
 * Batch} per resource; its {@link Process} carries the service name ({@code service.name}, else the
 * trace name) and, as tags, every other resource attribute — so the guest identity ({@code
 * spantransport.peer.*}) — plus Kata's {@code exporter=jaeger}.
 *
 * <p>Batches are split so that each datagram's payload is at most {@value #MAX_PACKET_BYTES} bytes
 * (what Jaeger clients use). A single span that cannot fit alone is dropped, counted ({@link
 * #spansTooLarge()}) and logged; retrying could not help it. A failed send (e.g. the agent's port
 * answered ICMP unreachable) fails the export, so span-transport guests resend the batch and Kata
 * agent spans are counted as dropped.
 *
 * <p>This class is internal and may change without notice.
 */
public final class JaegerAgentExporter implements SpanExporter {

  /** The largest datagram payload sent, as Jaeger clients limit it. */
  public static final int MAX_PACKET_BYTES = 65_000;

  private static final Logger logger = Logger.getLogger(JaegerAgentExporter.class.getName());
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private final InetSocketAddress agent;
  private final String defaultServiceName;
  private final int maxPacketBytes;
  private final DatagramChannel channel;
  private final AtomicLong datagrams = new AtomicLong();
  private final AtomicLong spansSent = new AtomicLong();
  private final AtomicLong spansTooLarge = new AtomicLong();
  private volatile boolean shutdown;
  private static final long WARN_INTERVAL_NANOS = 60_000_000_000L;
  private long lastWarnNanos; // 0: never warned
  private long suppressedWarnings;

  private JaegerAgentExporter(Builder b) throws IOException {
    this.agent = new InetSocketAddress(b.host, b.port);
    if (agent.isUnresolved()) {
      throw new IOException("Jaeger agent host does not resolve: " + b.host);
    }
    this.defaultServiceName = b.serviceName;
    this.maxPacketBytes = b.maxPacketBytes;
    DatagramChannel c = DatagramChannel.open();
    try {
      c.connect(agent); // UDP: sends nothing, fixes the peer (and surfaces ICMP unreachable)
    } catch (IOException e) {
      c.close();
      throw new IOException("cannot use Jaeger agent address " + agent + ": " + e.getMessage(), e);
    }
    this.channel = c;
    if (b.meterProvider != null) {
      Meter meter = b.meterProvider.get("dev.spantransport.forwarder");
      meter
          .counterBuilder("spantransport.forwarder.jaeger.datagrams")
          .setDescription("emitBatch datagrams sent to the Jaeger agent")
          .buildWithCallback(m -> m.record(datagrams.get()));
      meter
          .counterBuilder("spantransport.forwarder.jaeger.spans.too_large")
          .setDescription("Spans dropped because alone they exceed one Jaeger datagram")
          .buildWithCallback(m -> m.record(spansTooLarge.get()));
    }
  }

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link JaegerAgentExporter}. */
  public static final class Builder {
    private String host = ForwarderOptions.DEFAULT_JAEGER_HOST;
    private int port = ForwarderOptions.DEFAULT_JAEGER_PORT;
    private String serviceName = ForwarderOptions.DEFAULT_TRACE_NAME;
    private int maxPacketBytes = MAX_PACKET_BYTES;
    private MeterProvider meterProvider;

    private Builder() {}

    /**
     * Sets where {@code spantransport.forwarder.jaeger.datagrams} and {@code .spans.too_large} are
     * published; null (the default) publishes nothing.
     */
    public Builder setMeterProvider(MeterProvider meterProvider) {
      this.meterProvider = meterProvider;
      return this;
    }

    /** Sets the agent's host and UDP port. */
    public Builder setAgent(String host, int port) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank: '" + host + "'");
      }
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("port must be between 1 and 65535: " + port);
      }
      this.host = host;
      this.port = port;
      return this;
    }

    /** Sets the service name of spans whose resource has no {@code service.name}. */
    public Builder setServiceName(String serviceName) {
      this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
      return this;
    }

    /** Sets the largest datagram payload, default {@value #MAX_PACKET_BYTES} (for tests). */
    Builder setMaxPacketBytes(int maxPacketBytes) {
      if (maxPacketBytes < 512 || maxPacketBytes > MAX_PACKET_BYTES) {
        throw new IllegalArgumentException(
            "maxPacketBytes must be between 512 and " + MAX_PACKET_BYTES + ": " + maxPacketBytes);
      }
      this.maxPacketBytes = maxPacketBytes;
      return this;
    }

    /**
     * Builds the exporter with a UDP channel to the agent.
     *
     * @throws IOException if the host does not resolve or no channel can be opened
     */
    public JaegerAgentExporter build() throws IOException {
      return new JaegerAgentExporter(this);
    }
  }

  @Override
  public synchronized CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown) {
      return CompletableResultCode.ofFailure();
    }
    Map<Resource, List<SpanData>> byResource = new LinkedHashMap<>();
    for (SpanData span : spans) {
      byResource.computeIfAbsent(span.getResource(), r -> new ArrayList<>()).add(span);
    }
    try {
      for (Map.Entry<Resource, List<SpanData>> e : byResource.entrySet()) {
        Process process = process(e.getKey());
        List<Span> converted = new ArrayList<>(e.getValue().size());
        for (SpanData span : e.getValue()) {
          converted.add(span(span));
        }
        sendSplit(process, converted);
      }
      return CompletableResultCode.ofSuccess();
    } catch (IOException | TException e) {
      warn("cannot send to the Jaeger agent at " + agent + ": " + e);
      return CompletableResultCode.ofFailure();
    }
  }

  /** Packs spans greedily into datagrams of at most {@link #maxPacketBytes}, then sends each. */
  private void sendSplit(Process process, List<Span> spans) throws IOException, TException {
    int overhead = message(new Batch(process, new ArrayList<>())).length();
    // A list header grows from 1 byte by a varint of its size once it holds 15 items or more.
    int listHeaderSlack = 5;
    List<Span> chunk = new ArrayList<>();
    int chunkBytes = overhead + listHeaderSlack;
    for (Span span : spans) {
      int size = size(span);
      if (overhead + listHeaderSlack + size > maxPacketBytes) {
        spansTooLarge.incrementAndGet();
        warn(
            "dropping span "
                + Long.toHexString(span.getSpanId())
                + " ("
                + size
                + " bytes): larger than one Jaeger datagram ("
                + maxPacketBytes
                + " bytes)");
        continue;
      }
      if (chunkBytes + size > maxPacketBytes) {
        send(process, chunk);
        chunk = new ArrayList<>();
        chunkBytes = overhead + listHeaderSlack;
      }
      chunk.add(span);
      chunkBytes += size;
    }
    if (!chunk.isEmpty()) {
      send(process, chunk);
    }
  }

  private void send(Process process, List<Span> spans) throws IOException, TException {
    TMemoryBuffer message = message(new Batch(process, spans));
    if (message.length() > maxPacketBytes) {
      // The estimate is exact for thrift-compact; this guards the invariant all the same.
      throw new IOException(
          "emitBatch message of " + message.length() + " bytes exceeds " + maxPacketBytes);
    }
    ByteBuffer datagram = ByteBuffer.wrap(message.getArray(), 0, message.length());
    int sent = channel.write(datagram);
    if (sent != message.length()) {
      throw new IOException("datagram cut: " + sent + " of " + message.length() + " bytes sent");
    }
    datagrams.incrementAndGet();
    spansSent.addAndGet(spans.size());
  }

  /**
   * Logs a warning at most once a minute (an agent that is down fails every batch), saying how many
   * were held back since the last one. Called under the export lock.
   */
  private void warn(String message) {
    long now = System.nanoTime();
    if (lastWarnNanos != 0 && now - lastWarnNanos < WARN_INTERVAL_NANOS) {
      suppressedWarnings++;
      return;
    }
    long held = suppressedWarnings;
    suppressedWarnings = 0;
    lastWarnNanos = now == 0 ? 1 : now;
    logger.log(
        Level.WARNING,
        held == 0 ? message : message + " (" + held + " similar warnings in the last minute)");
  }

  /** The whole oneway {@code Agent.emitBatch} message, as {@link Agent.Client} writes it. */
  private static TMemoryBuffer message(Batch batch) throws TException {
    TMemoryBuffer buffer = new TMemoryBuffer(1024);
    new Agent.Client(new TCompactProtocol(buffer)).emitBatch(batch);
    return buffer;
  }

  private static int size(TBase<?, ?> struct) throws TTransportException, TException {
    TMemoryBuffer buffer = new TMemoryBuffer(256);
    struct.write(new TCompactProtocol(buffer));
    return buffer.length();
  }

  private Process process(Resource resource) {
    String service = resource.getAttribute(SERVICE_NAME);
    Process process =
        new Process(service == null || service.isEmpty() ? defaultServiceName : service);
    List<Tag> tags = new ArrayList<>();
    resource
        .getAttributes()
        .forEach(
            (key, value) -> {
              if (!key.getKey().equals(SERVICE_NAME.getKey())) {
                tags.add(tag(key, value));
              }
            });
    tags.add(new Tag("exporter", TagType.STRING).setVStr("jaeger")); // as Kata's forwarder tags it
    return process.setTags(tags);
  }

  static Span span(SpanData data) {
    SpanContext context = data.getSpanContext();
    String traceId = context.getTraceId();
    Span span =
        new Span(
            Long.parseUnsignedLong(traceId.substring(16), 16),
            Long.parseUnsignedLong(traceId.substring(0, 16), 16),
            Long.parseUnsignedLong(context.getSpanId(), 16),
            data.getParentSpanContext().isValid()
                ? Long.parseUnsignedLong(data.getParentSpanId(), 16)
                : 0L,
            data.getName(),
            context.getTraceFlags().asByte() & 0xff,
            data.getStartEpochNanos() / 1_000,
            Math.max(0, data.getEndEpochNanos() - data.getStartEpochNanos()) / 1_000);
    List<Tag> tags = new ArrayList<>();
    data.getAttributes().forEach((key, value) -> tags.add(tag(key, value)));
    if (data.getKind() != SpanKind.INTERNAL) {
      tags.add(stringTag("span.kind", data.getKind().name().toLowerCase(Locale.ROOT)));
    }
    StatusCode status = data.getStatus().getStatusCode();
    if (status != StatusCode.UNSET) {
      tags.add(stringTag("otel.status_code", status.name()));
    }
    if (status == StatusCode.ERROR) {
      tags.add(new Tag("error", TagType.BOOL).setVBool(true));
    }
    if (!data.getStatus().getDescription().isEmpty()) {
      tags.add(stringTag("otel.status_description", data.getStatus().getDescription()));
    }
    InstrumentationScopeInfo scope = data.getInstrumentationScopeInfo();
    if (!scope.getName().isEmpty()) {
      tags.add(stringTag("otel.scope.name", scope.getName()));
    }
    if (scope.getVersion() != null) {
      tags.add(stringTag("otel.scope.version", scope.getVersion()));
    }
    span.setTags(tags);
    if (!data.getEvents().isEmpty()) {
      List<Log> logs = new ArrayList<>(data.getEvents().size());
      for (EventData event : data.getEvents()) {
        List<Tag> fields = new ArrayList<>();
        fields.add(stringTag("event", event.getName()));
        event.getAttributes().forEach((key, value) -> fields.add(tag(key, value)));
        logs.add(new Log(event.getEpochNanos() / 1_000, fields));
      }
      span.setLogs(logs);
    }
    if (!data.getLinks().isEmpty()) {
      List<SpanRef> refs = new ArrayList<>(data.getLinks().size());
      for (LinkData link : data.getLinks()) {
        String linkedTrace = link.getSpanContext().getTraceId();
        refs.add(
            new SpanRef(
                SpanRefType.FOLLOWS_FROM,
                Long.parseUnsignedLong(linkedTrace.substring(16), 16),
                Long.parseUnsignedLong(linkedTrace.substring(0, 16), 16),
                Long.parseUnsignedLong(link.getSpanContext().getSpanId(), 16)));
      }
      span.setReferences(refs);
    }
    return span;
  }

  private static Tag stringTag(String key, String value) {
    return new Tag(key, TagType.STRING).setVStr(value);
  }

  private static Tag tag(AttributeKey<?> key, Object value) {
    String name = key.getKey();
    switch (key.getType()) {
      case STRING:
        return stringTag(name, (String) value);
      case BOOLEAN:
        return new Tag(name, TagType.BOOL).setVBool((Boolean) value);
      case LONG:
        return new Tag(name, TagType.LONG).setVLong((Long) value);
      case DOUBLE:
        return new Tag(name, TagType.DOUBLE).setVDouble((Double) value);
      default:
        // Arrays: a JSON array in a string tag, as OpenTelemetry's Jaeger mapping writes them.
        return stringTag(name, jsonArray((List<?>) value));
    }
  }

  private static String jsonArray(List<?> values) {
    StringBuilder sb = new StringBuilder("[");
    for (Object v : values) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      if (v instanceof String s) {
        sb.append('"').append(JsonStringEncoder.getInstance().quoteAsString(s)).append('"');
      } else {
        sb.append(v);
      }
    }
    return sb.append(']').toString();
  }

  /** Returns the datagrams sent. */
  public long datagrams() {
    return datagrams.get();
  }

  /** Returns the spans sent. */
  public long spansSent() {
    return spansSent.get();
  }

  /** Returns the spans dropped because even alone they exceed one datagram. */
  public long spansTooLarge() {
    return spansTooLarge.get();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess(); // every export sends at once
  }

  @Override
  public synchronized CompletableResultCode shutdown() {
    shutdown = true;
    try {
      channel.close();
    } catch (IOException e) {
      logger.log(Level.FINE, "closing the Jaeger channel", e);
    }
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "JaegerAgentExporter{agent="
        + agent
        + ", serviceName="
        + defaultServiceName
        + ", maxPacketBytes="
        + maxPacketBytes
        + "}";
  }
}
