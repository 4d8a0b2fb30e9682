package dev.spantransport.vsock.vm;

import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs inside the guest VM only ({@link GuestOnly}): the whole span path over real AF_VSOCK. A
 * {@link SpanReceiver} listens on {@code vsock://any:PORT}; an OpenTelemetry SDK whose batch
 * processor feeds a {@link VsockSpanExporter} sends to {@code vsock://1:PORT} (VMADDR_CID_LOCAL,
 * carried by vsock_loopback). After the SDK is flushed and shut down (so every batch was acked, and
 * the receiver acks only what its sink accepted) it prints one result line on the console:
 *
 * <pre>SPANTRANSPORT-RESULT status=ok sent=N received=N distinct=N peerCid=1 transport=vsock ...
 * </pre>
 *
 * <p>Arguments: PORT SPANS [STREAM_MILLIS]. With STREAM_MILLIS the spans are spread over about that
 * long, and {@link #STREAMING} is printed once a quarter of them were ended, so a host test can
 * pause the whole VM while spans flow.
 */
public final class GuestSpansOverVsock {

  /** The prefix of the result line the host test reads from the serial console. */
  public static final String RESULT = "SPANTRANSPORT-RESULT";

  /** Printed on the console once spans are flowing, when the run is spread over time. */
  public static final String STREAMING = "SPANTRANSPORT-STREAMING";

  private GuestSpansOverVsock() {}

  public static void main(String[] args) throws Exception {
    long streamMillis = args.length > 2 ? Long.parseLong(args[2]) : 0;
    GuestOnly.run(
        RESULT, () -> run(Long.parseLong(args[0]), Integer.parseInt(args[1]), streamMillis));
  }

  private static void run(long port, int spans, long streamMillis) throws Exception {
    InMemorySpanExporter sink = InMemorySpanExporter.create();
    SpanReceiver receiver =
        SpanReceiver.builder().addEndpoint("vsock://any:" + port).setSpanExporter(sink).build();
    check(receiver.start().join(30, TimeUnit.SECONDS), "receiver start");

    VsockSpanExporter exporter =
        VsockSpanExporter.builder().setEndpoint("vsock://1:" + port).build();
    SdkTracerProvider tracerProvider =
        SdkTracerProvider.builder()
            .setResource(Resource.create(Attributes.of(PeerAttributes.CID, 99L)))
            .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
            .build();
    Tracer tracer = tracerProvider.get("real-vsock-it");
    long pauseNanos = streamMillis * 1_000_000L / Math.max(1, spans / 2);
    for (int i = 0; i < spans / 2; i++) {
      if (streamMillis > 0) {
        if (i == spans / 8) {
          System.out.println(STREAMING);
          System.out.flush();
        }
        java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
      }
      Span parent = tracer.spanBuilder("request-" + i).startSpan();
      try (Scope ignored = parent.makeCurrent()) {
        tracer.spanBuilder("query-" + i).setAttribute("i", i).startSpan().end();
      } finally {
        parent.end();
      }
    }
    check(tracerProvider.forceFlush().join(60, TimeUnit.SECONDS), "SDK flush (all batches acked)");
    check(tracerProvider.shutdown().join(60, TimeUnit.SECONDS), "SDK shutdown");

    List<SpanData> received = sink.getFinishedSpanItems();
    Set<String> distinct = new HashSet<>();
    Set<Long> cids = new HashSet<>();
    Set<String> transports = new HashSet<>();
    for (SpanData span : received) {
      distinct.add(span.getSpanId());
      cids.add(span.getResource().getAttribute(PeerAttributes.CID));
      transports.add(span.getResource().getAttribute(PeerAttributes.TRANSPORT));
    }
    check(receiver.shutdown().join(30, TimeUnit.SECONDS), "receiver shutdown");
    boolean ok =
        received.size() == (spans / 2) * 2
            && distinct.size() == received.size()
            && cids.equals(Set.of(1L))
            && transports.equals(Set.of("vsock"));
    System.out.println(
        RESULT
            + " status="
            + (ok ? "ok" : "mismatch")
            + " sent="
            + (spans / 2) * 2
            + " received="
            + received.size()
            + " distinct="
            + distinct.size()
            + " peerCid="
            + join(cids)
            + " transport="
            + join(transports));
    System.out.flush();
  }

  private static void check(CompletableResultCode result, String what) {
    if (!result.isSuccess()) {
      throw new IllegalStateException(what + " failed", result.getFailureThrowable());
    }
  }

  private static String join(Set<?> values) {
    StringBuilder b = new StringBuilder();
    for (Object v : values) {
      b.append(b.length() == 0 ? "" : ",").append(v);
    }
    return b.toString();
  }
}
