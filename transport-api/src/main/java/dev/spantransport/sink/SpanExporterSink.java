package dev.spantransport.sink;

import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.sink.internal.ExporterHandOff;
import dev.spantransport.sink.internal.GuestResources;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A {@link SpanSink} that decodes each batch into {@link SpanData} and hands it to an OpenTelemetry
 * {@link SpanExporter}, so any exporter (OTLP gRPC or HTTP, Zipkin, logging) plugs in as it is.
 *
 * <p>Before export every span's {@link Resource} is tagged with the guest's {@linkplain
 * SpanBatch#identity() identity}: payload attributes under {@code spantransport.peer.} are removed
 * and the identity attributes overwrite same-named payload attributes.
 *
 * <p>{@link #accept} decodes on the calling (receiver I/O) thread and does not keep the payload
 * view; how long {@code export} takes is up to the exporter (the SDK's exporters are asynchronous).
 * {@link #shutdown()} shuts the exporter down.
 *
 * <p>Failures are retryable (the guest resends the batch later) unless they are permanent: a
 * payload that cannot be decoded, or an exporter that throws or fails its result with a {@link
 * BatchRejectedException}. A permanent failure fails the returned result with a {@link
 * BatchRejectedException}, and the receiver drops that batch instead of having it resent.
 */
public final class SpanExporterSink implements SpanSink {

  private static final RateLimitedLogger logger =
      new RateLimitedLogger(Logger.getLogger(SpanExporterSink.class.getName()), 5, 60_000);

  private static final OtlpSpanDecoder DECODER = new OtlpSpanDecoder();

  private final SpanExporter exporter;
  private final AtomicBoolean shutdown = new AtomicBoolean();

  private SpanExporterSink(SpanExporter exporter) {
    this.exporter = exporter;
  }

  /**
   * Returns a sink that exports through {@code exporter}.
   *
   * @param exporter the exporter to hand decoded spans to
   * @return a new sink
   */
  public static SpanExporterSink create(SpanExporter exporter) {
    return new SpanExporterSink(Objects.requireNonNull(exporter, "exporter"));
  }

  /**
   * Decodes the batch, tags it with the guest identity and exports it. Fails at once if the sink is
   * shut down or the exporter throws (retryable), or, with a {@link BatchRejectedException}, if the
   * payload is malformed or the exporter threw one (permanent).
   */
  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    return ExporterHandOff.export(
        batch,
        "spans",
        b -> tag(DECODER.decode(b.buffer(), b.offset(), b.length()), b.identity()),
        exporter::export,
        exporter,
        logger);
  }

  /** Flushes the exporter. */
  @Override
  public CompletableResultCode flush() {
    return exporter.flush();
  }

  /** Shuts the exporter down; a second call succeeds at once. */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      return CompletableResultCode.ofSuccess();
    }
    return exporter.shutdown();
  }

  private static List<SpanData> tag(List<SpanData> spans, Attributes identity) {
    // Spans of one ResourceSpans share one Resource, so each distinct resource is tagged once.
    Map<Resource, Resource> tagged = new IdentityHashMap<>();
    List<SpanData> out = new ArrayList<>(spans.size());
    for (SpanData span : spans) {
      Resource resource =
          tagged.computeIfAbsent(span.getResource(), r -> GuestResources.tag(r, identity));
      out.add(new TaggedSpanData(span, resource));
    }
    return out;
  }

  @Override
  public String toString() {
    return "SpanExporterSink{exporter=" + exporter + "}";
  }

  private static final class TaggedSpanData extends DelegatingSpanData {
    private final Resource resource;

    TaggedSpanData(SpanData delegate, Resource resource) {
      super(delegate);
      this.resource = resource;
    }

    @Override
    public Resource getResource() {
      return resource;
    }
  }
}
