package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.socket.SocketFiles;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real guest exporter talking to the receiver over a hybrid-vsock Unix socket. */
class SpanReceiverEndToEndTest {

  @TempDir Path dir;

  @Test
  void guestSpansArriveTaggedWithTheTransportIdentityAndCannotSpoofIt() throws Exception {
    Endpoint hybrid = TestEndpoints.hybrid(dir.resolve("fc.vsock"), 10240);
    Path socketFile = SocketFiles.socketFile(hybrid).orElseThrow();
    InMemorySpanExporter collected = InMemorySpanExporter.create();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    SdkMeterProvider meterProvider =
        SdkMeterProvider.builder().registerMetricReader(metrics).build();
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint(hybrid)
            .setSpanExporter(collected)
            .setIdentityResolver(
                peer -> Attributes.of(AttributeKey.stringKey("sandbox.id"), "sandbox-7"))
            .setMeterProvider(meterProvider)
            .build();
    assertTrue(receiver.start().isSuccess());
    List<SpanData> spans;
    try {
      // Inside a Firecracker guest this is vsock://2:10240; on the host side it is this socket.
      VsockSpanExporter exporter =
          VsockSpanExporter.builder().setEndpoint("unix:" + socketFile).build();
      Resource spoofing =
          Resource.create(
              Attributes.builder()
                  .put("service.name", "guest-app")
                  .put(PeerAttributes.CID, 666L)
                  .put(PeerAttributes.SOCKET_PATH, "/somewhere/else")
                  .put("sandbox.id", "not-me")
                  .build());
      SdkTracerProvider tracerProvider =
          SdkTracerProvider.builder()
              .setResource(spoofing)
              .addSpanProcessor(SimpleSpanProcessor.create(exporter))
              .build();
      Tracer tracer = tracerProvider.get("e2e");
      Span parent = tracer.spanBuilder("request").startSpan();
      try (Scope ignored = parent.makeCurrent()) {
        tracer.spanBuilder("db").startSpan().end();
      }
      parent.end();
      assertTrue(tracerProvider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(tracerProvider.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
      // flush() completed, so the host acked: the sink already has the spans.
      spans = collected.getFinishedSpanItems();
    } finally {
      assertTrue(receiver.shutdown().join(15, TimeUnit.SECONDS).isSuccess());
    }

    assertEquals(2, spans.size(), "both spans arrived, each once");
    for (SpanData span : spans) {
      Attributes resource = span.getResource().getAttributes();
      assertEquals(socketFile.toString(), resource.get(PeerAttributes.SOCKET_PATH));
      assertNull(resource.get(PeerAttributes.CID), "the guest's CID claim is removed");
      assertEquals("sandbox-7", resource.get(AttributeKey.stringKey("sandbox.id")));
      assertEquals("guest-app", resource.get(AttributeKey.stringKey("service.name")));
    }

    List<String> names =
        metrics.collectAllMetrics().stream().map(MetricData::getName).sorted().toList();
    assertTrue(names.contains("spantransport.receiver.spans"), names::toString);
    assertTrue(names.contains("spantransport.receiver.acked"), names::toString);
    long spansCounted =
        metrics.collectAllMetrics().stream()
            .filter(m -> m.getName().equals("spantransport.receiver.spans"))
            .flatMap(m -> m.getLongSumData().getPoints().stream())
            .mapToLong(p -> p.getValue())
            .sum();
    assertEquals(2, spansCounted);
  }

  @Test
  void batchRefusedByTheSinkIsResentAndEveryBatchReachesTheSinkExactlyOnce() throws Exception {
    Path socketFile = dir.resolve("r.sock");
    Map<String, Integer> accepted = new ConcurrentHashMap<>();
    AtomicBoolean refusedTwo = new AtomicBoolean();
    SpanSink sink =
        new SpanSink() {
          @Override
          public CompletableResultCode accept(SpanBatch batch) {
            if (batch.sequence() == 2 && refusedTwo.compareAndSet(false, true)) {
              return CompletableResultCode.ofFailure();
            }
            accepted.merge(batch.sessionId() + "/" + batch.sequence(), 1, Integer::sum);
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    SpanReceiver receiver =
        SpanReceiver.builder().addEndpoint(TestEndpoints.unix(socketFile)).addSink(sink).build();
    assertTrue(receiver.start().isSuccess());
    int batches = 12;
    try {
      VsockSpanExporter exporter =
          VsockSpanExporter.builder()
              .setEndpoint("unix:" + socketFile)
              .setReconnectInitialBackoff(Duration.ofMillis(10))
              .setReconnectMaxBackoff(Duration.ofMillis(50))
              .build();
      SdkTracerProvider tracerProvider =
          SdkTracerProvider.builder()
              .addSpanProcessor(SimpleSpanProcessor.create(exporter))
              .build();
      Tracer tracer = tracerProvider.get("e2e");
      for (int i = 0; i < batches; i++) {
        tracer.spanBuilder("span-" + i).startSpan().end(); // one export, one batch each
      }
      assertTrue(tracerProvider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(tracerProvider.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    } finally {
      assertTrue(receiver.shutdown().join(15, TimeUnit.SECONDS).isSuccess());
    }
    assertTrue(refusedTwo.get(), "the sink refused batch 2 once");
    assertEquals(batches, accepted.size(), accepted::toString);
    assertTrue(accepted.values().stream().allMatch(n -> n == 1), accepted::toString);
  }
}
