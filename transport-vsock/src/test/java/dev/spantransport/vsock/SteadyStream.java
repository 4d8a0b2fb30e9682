package dev.spantransport.vsock;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the steady-state tests of both sides share: a receiver on a Unix socket whose sink accepts
 * at once, realistic spans from the SDK, and the JVM's per-thread allocation counter.
 */
public final class SteadyStream {

  private SteadyStream() {}

  /** Starts a receiver on {@code socket} with one sink that shows each batch to {@code seen}. */
  public static SpanReceiver startReceiver(Path socket, Consumer<SpanBatch> seen) {
    SpanSink accepting =
        new SpanSink() {
          @Override
          public CompletableResultCode accept(SpanBatch batch) {
            seen.accept(batch);
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    SpanReceiver receiver =
        SpanReceiver.builder().addEndpoint("unix:" + socket).addSink(accepting).build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess(), "receiver not started");
    return receiver;
  }

  /** {@code count} ended spans of distinct HTTP requests, as an instrumented server makes them. */
  public static List<SpanData> spans(int count) {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    SdkTracerProvider provider =
        SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(memory)).build();
    Tracer tracer = provider.get("steady-stream");
    for (int i = 0; i < count; i++) {
      tracer
          .spanBuilder("GET /api/items/" + i)
          .setAttribute("url.full", "https://shop.example.com/api/items/" + i + "?page=" + i)
          .setAttribute("http.response.status_code", 200L)
          .startSpan()
          .end();
    }
    List<SpanData> spans = memory.getFinishedSpanItems(); // before close, which clears them
    provider.close();
    return spans;
  }

  /** The JVM's per-thread allocation counter, enabled; the test is skipped where there is none. */
  public static com.sun.management.ThreadMXBean allocationCounter() {
    assumeTrue(
        ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
        "this JVM counts no allocation per thread");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
    threads.setThreadAllocatedMemoryEnabled(true);
    return threads;
  }
}
