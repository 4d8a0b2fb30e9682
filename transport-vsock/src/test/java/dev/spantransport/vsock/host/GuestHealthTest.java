package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver keeps each connected guest's health readable: who, since when, last batch, batches
 * still in the sinks, spans acknowledged and batches dropped; as an API and as metrics.
 */
class GuestHealthTest {

  @TempDir Path dir;
  private SpanReceiver receiver;
  private VsockSpanExporter exporter;
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final SdkMeterProvider meters =
      SdkMeterProvider.builder().registerMetricReader(reader).build();

  /** Holds every batch until the test completes it. */
  private final BlockingQueue<CompletableResultCode> held = new LinkedBlockingQueue<>();

  private final SpanSink holdingSink =
      new SpanSink() {
        @Override
        public CompletableResultCode accept(SpanBatch batch) {
          CompletableResultCode result = new CompletableResultCode();
          held.add(result);
          return result;
        }

        @Override
        public CompletableResultCode shutdown() {
          return CompletableResultCode.ofSuccess();
        }
      };

  @AfterEach
  void tearDown() {
    CompletableResultCode r;
    while ((r = held.poll()) != null) {
      r.succeed();
    }
    if (exporter != null) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.shutdown().join(10, TimeUnit.SECONDS);
    }
    meters.close();
  }

  private static List<SpanData> spans(String prefix, int count) {
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      spans.add(
          TestSpanData.builder()
              .setSpanContext(
                  SpanContext.create(
                      "0af7651916cd43dd8448eb211c80319c",
                      "b7ad6b7169203331",
                      TraceFlags.getSampled(),
                      TraceState.getDefault()))
              .setName(prefix + "-" + i)
              .setKind(SpanKind.INTERNAL)
              .setStartEpochNanos(1)
              .setEndEpochNanos(2)
              .setStatus(StatusData.unset())
              .setHasEnded(true)
              .build());
    }
    return spans;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(condition.getAsBoolean(), "condition not reached within 10 s");
  }

  private CompletableResultCode nextHeld() throws InterruptedException {
    CompletableResultCode r = held.poll(10, TimeUnit.SECONDS);
    assertTrue(r != null, "no batch reached the sink");
    return r;
  }

  private long gauge(String name) {
    long total = 0;
    for (MetricData m : reader.collectAllMetrics()) {
      if (m.getName().equals(name)) {
        total += m.getLongGaugeData().getPoints().stream().mapToLong(p -> p.getValue()).sum();
      }
    }
    return total;
  }

  @Test
  void eachGuestsHealthFollowsItsBatchesThroughTheSinks() throws Exception {
    Path socket = dir.resolve("host.sock");
    Instant before = Instant.now().minusSeconds(1);
    receiver =
        SpanReceiver.builder()
            .addEndpoint("unix:" + socket)
            .addSink(holdingSink)
            .setMeterProvider(meters)
            .build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess());
    exporter =
        VsockSpanExporter.builder()
            .setEndpoint("unix:" + socket)
            .setReconnectInitialBackoff(Duration.ofMillis(10))
            .setReconnectMaxBackoff(Duration.ofMillis(50))
            .build();

    exporter.export(spans("a", 3));
    CompletableResultCode first = nextHeld();
    exporter.export(spans("b", 2));
    CompletableResultCode second = nextHeld();

    List<GuestHealth> guests = receiver.guests();
    assertEquals(1, guests.size(), guests.toString());
    GuestHealth g = guests.get(0);
    assertEquals(2, g.unackedBatches(), g.toString());
    assertEquals(0, g.batchesAcked());
    assertEquals(32, g.sessionId().length());
    assertFalse(g.connectedSince().isBefore(before), g.toString());
    assertTrue(g.lastBatch().isPresent(), g.toString());
    assertEquals(
        socket.toString(),
        g.identity().get(AttributeKey.stringKey("spantransport.peer.socket_path")));
    assertEquals(2, gauge("spantransport.receiver.guest.unacked"));

    first.succeed();
    second.succeed();
    await(() -> receiver.guests().get(0).batchesAcked() == 2);
    assertEquals(0, receiver.guests().get(0).unackedBatches());
    assertEquals(0, gauge("spantransport.receiver.guest.unacked"));

    exporter.export(spans("poison", 1));
    nextHeld().failExceptionally(new BatchRejectedException("collector said 400"));
    await(
        () ->
            receiver.guests().get(0).batchesDropped() == 1
                && receiver.guests().get(0).unackedBatches() == 0);
    GuestHealth after = receiver.guests().get(0);
    assertEquals(2, after.batchesAcked(), after.toString());
    assertEquals(0, after.unackedBatches(), after.toString());

    exporter.shutdown().join(10, TimeUnit.SECONDS);
    exporter = null;
    await(() -> receiver.guests().isEmpty());
  }
}
