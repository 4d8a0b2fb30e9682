package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spantransport.forwarder.internal.ZipkinJsonExporter;
import dev.spantransport.sink.OtlpHttpSink;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.tests.adversity.BombReceiverMain;
import dev.spantransport.tests.adversity.CapturingHttpServer;
import dev.spantransport.tests.adversity.ConnectionCutter;
import dev.spantransport.tests.adversity.DeliveryAttacks;
import dev.spantransport.tests.adversity.DeliveryAttacks.Metrics;
import dev.spantransport.tests.adversity.DeliveryAttacks.OutageSink;
import dev.spantransport.tests.adversity.DeliveryAttacks.PoisonRefusingExporter;
import dev.spantransport.tests.adversity.DeliveryAttacks.SlowExporter;
import dev.spantransport.tests.adversity.PayloadAttacks;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.SessionId;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on every guarantee span-transport makes, each against the real receiver (and, where the
 * guarantee is the forwarder's, the real forwarder): one test method per attack, named after it,
 * asserting exact counts. The attack fixtures live in {@code dev.spantransport.tests.adversity}.
 */
class AdversityIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration BOMB_WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;

  // 1. Identity spoofing through span, event and link attributes.

  /**
   * A guest puts {@code spantransport.peer.socket_path=/forged/path} on its resource, scope, span,
   * event and link. Every sink (decoded, OTLP/HTTP passthrough, the forwarder's Zipkin mapping)
   * sees only the socket's identity, the honest attributes survive, and the receiver counts the
   * five it stripped.
   */
  @Test
  void spanAttributesCannotForgeGuestIdentity() throws Exception {
    Path socket = dir.resolve("host.sock");
    InMemorySpanExporter decoded = InMemorySpanExporter.create();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    try (CapturingHttpServer otlp = new CapturingHttpServer();
        CapturingHttpServer zipkin = new CapturingHttpServer();
        SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(metrics).build();
        SpanReceiver receiver =
            Receivers.start(
                Receivers.builder(socket, SpanExporterSink.create(decoded))
                    .addSink(OtlpHttpSink.builder().setEndpoint(otlp.baseUrl()).build())
                    .addSink(
                        SpanExporterSink.create(
                            ZipkinJsonExporter.create(
                                zipkin.baseUrl() + "/api/v2/spans", Duration.ofSeconds(10))))
                    .setMeterProvider(meters));
        RawGuest guest = new RawGuest(socket)) {
      assertTrue(guest.write(RawGuest.hello(SessionId.random()), WAIT));
      assertEquals(FrameType.SERVER_HELLO, guest.readFrame(WAIT).type());
      byte[] payload = PayloadAttacks.forgedIdentityRequest();
      assertTrue(guest.write(RawGuest.frame(FrameType.SPANS, 1, payload), WAIT));
      RawGuest.Frame reply = guest.readFrame(WAIT);
      assertEquals(FrameType.ACK, reply.type(), "reply to the forged batch");
      assertEquals(1, reply.sequence());

      String realPath = socket.toString();
      // Decoded path: one span, identity from the socket everywhere, honest attributes kept.
      assertEquals(1, decoded.getFinishedSpanItems().size());
      SpanData span = decoded.getFinishedSpanItems().get(0);
      AttributeKey<String> forgedKey = AttributeKey.stringKey(PayloadAttacks.FORGED_KEY);
      assertEquals(realPath, span.getResource().getAttribute(forgedKey));
      assertEquals(Map.of("app.span", "kept"), strings(span.getAttributes()));
      assertEquals(Map.of("app.event", "kept"), strings(span.getEvents().get(0).getAttributes()));
      assertEquals(Map.of("app.link", "kept"), strings(span.getLinks().get(0).getAttributes()));
      assertEquals(
          Map.of("app.scope", "kept"), strings(span.getInstrumentationScopeInfo().getAttributes()));

      // Raw passthrough: the collector gets one request with the real path once, forged none.
      assertTrue(Receivers.await(() -> otlp.bodies().size() == 1, WAIT), "OTLP request");
      ExportTraceServiceRequest sent = ExportTraceServiceRequest.parseFrom(otlp.bodies().get(0));
      assertEquals(
          0,
          PayloadAttacks.countAttributes(
              sent, kv -> kv.getValue().getStringValue().equals(PayloadAttacks.FORGED_PATH)),
          "forged values in the passthrough request");
      assertEquals(
          1,
          PayloadAttacks.countAttributes(
              sent,
              kv ->
                  kv.getKey().equals(PayloadAttacks.FORGED_KEY)
                      && kv.getValue().getStringValue().equals(realPath)));
      assertEquals(4, PayloadAttacks.countAttributes(sent, kv -> kv.getKey().startsWith("app.")));

      // The forwarder's Zipkin mapping: the tag is the socket's path.
      assertTrue(Receivers.await(() -> zipkin.bodies().size() == 1, WAIT), "Zipkin request");
      JsonNode zipkinSpan = new ObjectMapper().readTree(zipkin.bodies().get(0)).get(0);
      assertEquals(realPath, zipkinSpan.get("tags").get(PayloadAttacks.FORGED_KEY).asText());
      assertEquals("kept", zipkinSpan.get("tags").get("app.span").asText());

      assertEquals(
          5, PayloadAttacks.counter(metrics, "spantransport.receiver.stripped"), "stripped");
    }
  }

  private static Map<String, String> strings(Attributes attributes) {
    Map<String, String> out = new TreeMap<>();
    attributes.forEach((k, v) -> out.put(k.getKey(), String.valueOf(v)));
    return out;
  }

  // 2. Terminal and log injection.

  // 3. Duplicate delivery with a slow sink.

  /**
   * The sink takes longer than twice the guest's timeout for every batch, so the guest's PING
   * arrives while the host's window is full. Every one of 100,000 spans reaches the exporter
   * exactly once, in one export call per batch.
   */
  @Test
  void slowSinkBeyondGuestTimeoutDeliversEachBatchOnce(@TempDir Path dir) throws Exception {
    int spans = 100_000;
    int batch = 500;
    Duration guestTimeout = Duration.ofMillis(250);
    SlowExporter exporter = new SlowExporter(guestTimeout.multipliedBy(2).plusMillis(100));
    Path socket = dir.resolve("host.sock");
    try (SpanReceiver receiver =
            Receivers.start(Receivers.builder(socket, SpanExporterSink.create(exporter)));
        Guests guest =
            new Guests(
                Guests.fastBuilder(socket)
                    .setTimeout(guestTimeout)
                    .setMaxInflightBatches(spans / batch)
                    .setMaxInflightBytes(256L * 1024 * 1024))) {
      for (int first = 0; first < spans; first += batch) {
        guest.exporter.export(TestSpans.batch(first, batch));
      }
      boolean flushed = guest.flushFully(Duration.ofSeconds(60));
      assertEquals(0, guest.dropped(), "spans dropped by the guest");
      assertEquals(spans, exporter.deliveries.distinct(), () -> "lost: " + exporter.deliveries);
      assertEquals(0, exporter.deliveries.redelivered(), () -> "" + exporter.deliveries);
      assertEquals(spans / batch, exporter.deliveries.calls(), () -> "" + exporter.deliveries);
      assertTrue(flushed, "the guest's flush did not complete");
      assertEquals(spans, guest.acked());
    }
  }

  /**
   * The guest's connection is cut while a full window of its batches is in a slow sink; it
   * reconnects and resends them. The resends wait for the first delivery instead of reaching the
   * sink again, and the new connection acks them.
   */
  @Test
  void guestCutOffWhileItsBatchesAreInASlowSinkGetsThemAckedWithoutRedelivery(@TempDir Path dir)
      throws Exception {
    int batches = 40;
    int batch = 50;
    int window = 8;
    SlowExporter exporter = new SlowExporter(Duration.ofSeconds(1));
    Path socket = dir.resolve("host.sock");
    try (SpanReceiver receiver =
            Receivers.start(
                Receivers.builder(socket, SpanExporterSink.create(exporter)).setWindow(window));
        ConnectionCutter cutter = new ConnectionCutter(dir.resolve("relay.sock"), socket);
        Guests guest = new Guests(Guests.fastBuilder(dir.resolve("relay.sock")))) {
      for (int b = 0; b < batches; b++) {
        guest.exporter.export(TestSpans.batch((long) b * batch, batch));
      }
      assertTrue(exporter.awaitExports(window, Duration.ofSeconds(30)), "the window never filled");
      assertEquals(2, cutter.cutAll(), "one relayed connection, both ends");
      boolean flushed = guest.flushFully(Duration.ofSeconds(60));
      assertEquals(batches * batch, exporter.deliveries.distinct(), () -> "" + exporter.deliveries);
      assertEquals(0, exporter.deliveries.redelivered(), () -> "" + exporter.deliveries);
      assertEquals(batches, exporter.deliveries.calls(), () -> "" + exporter.deliveries);
      assertTrue(flushed, "the guest's flush did not complete");
      assertEquals((long) batches * batch, guest.acked());
      assertTrue(guest.metric("spantransport.exporter.reconnects") >= 1, "the guest reconnected");
    }
  }

  // 4. Connections leaked after SINK_UNAVAILABLE with a full window.

  /**
   * Ten collector outages under load, each lasting until every guest's window is full of batches
   * hanging in the sink, then failing them all. Afterwards the receiver holds exactly one
   * connection and one base read buffer per guest, and nothing once the guests are gone.
   */
  @Test
  void collectorOutagesWithEveryWindowFullLeakNoConnectionOrBuffer(@TempDir Path dir)
      throws Exception {
    int guestCount = 4;
    int window = 4;
    int readBuffer = 4096;
    int outages = 10;
    Path socket = dir.resolve("host.sock");
    OutageSink sink = new OutageSink();
    List<Guests> guests = new ArrayList<>();
    List<Thread> feeders = new ArrayList<>();
    AtomicBoolean feeding = new AtomicBoolean(true);
    AtomicLong handed = new AtomicLong();
    try (SpanReceiver receiver =
        Receivers.start(
            Receivers.builder(socket, sink).setWindow(window).setReadBufferSize(readBuffer))) {
      for (int g = 0; g < guestCount; g++) {
        Guests guest = new Guests(Guests.fastBuilder(socket).setTimeout(Duration.ofSeconds(1)));
        guests.add(guest);
        long base = g * 100_000_000L;
        Thread t =
            new Thread(
                () -> {
                  long next = base;
                  while (feeding.get()) {
                    guest.exporter.export(TestSpans.batch(next, 20));
                    handed.addAndGet(20);
                    next += 20;
                    try {
                      Thread.sleep(2); // pacing only: a steady stream, not a busy loop
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                },
                "feeder-" + g);
        feeders.add(t);
        t.start();
      }
      for (int outage = 1; outage <= outages; outage++) {
        int before = sink.deliveredBatches();
        assertTrue(
            sink.awaitDeliveredBatchesAbove(before, Duration.ofSeconds(30)),
            "no batch delivered before outage " + outage);
        sink.goDown();
        assertTrue(
            sink.awaitHeld(guestCount * window, Duration.ofSeconds(30)),
            "outage " + outage + ": not every window filled");
        sink.comeBack();
      }
      feeding.set(false);
      for (Thread t : feeders) {
        t.join(10_000);
      }
      for (Guests guest : guests) {
        assertTrue(guest.flushFully(Duration.ofSeconds(60)), "a guest's flush did not complete");
      }
      long acked = 0;
      long dropped = 0;
      for (Guests guest : guests) {
        acked += guest.acked();
        dropped += guest.dropped();
      }
      assertEquals(handed.get(), acked + dropped, "every span is acked or counted as dropped");
      assertEquals(acked, sink.deliveredSpans(), "every acked span reached the sink");
      assertTrue(
          Receivers.await(() -> receiver.connectionCount() == guestCount, Duration.ofSeconds(10)),
          () -> "open connections: " + receiver.connectionCount() + ", guests: " + guestCount);
      assertTrue(
          Receivers.await(
              () -> receiver.bufferedBytes() == (long) guestCount * readBuffer,
              Duration.ofSeconds(10)),
          () -> "buffered bytes: " + receiver.bufferedBytes());
      for (Guests guest : guests) {
        guest.close();
      }
      guests.clear();
      assertTrue(
          Receivers.await(() -> receiver.connectionCount() == 0, Duration.ofSeconds(10)),
          () -> "open connections after the guests left: " + receiver.connectionCount());
      assertTrue(
          Receivers.await(() -> receiver.bufferedBytes() == 0, Duration.ofSeconds(10)),
          () -> "buffered bytes after the guests left: " + receiver.bufferedBytes());
      assertEquals(0, sink.redeliveries(), "a batch reached the collector twice");
    } finally {
      feeding.set(false);
      for (Guests guest : guests) {
        guest.close();
      }
    }
  }

  // 5. Permanent rejection resent forever.

  /**
   * A sink refuses for good the one batch holding a span named {@code poison}, the first of twenty.
   * That batch is dropped once, counted with its reason by the receiver and by the guest, and each
   * of the 199 good spans behind it is delivered once.
   */
  @Test
  void poisonBatchIsRejectedOnceAndTheBatchesBehindItAreDelivered(@TempDir Path dir)
      throws Exception {
    PoisonRefusingExporter exporter = new PoisonRefusingExporter("poison");
    Path socket = dir.resolve("host.sock");
    try (Metrics hostMetrics = new Metrics();
        Metrics guestMetrics = new Metrics();
        SpanReceiver receiver =
            Receivers.start(
                Receivers.builder(socket, SpanExporterSink.create(exporter))
                    .setMeterProvider(hostMetrics.provider))) {
      VsockSpanExporter guest =
          Guests.fastBuilder(socket).setMeterProvider(guestMetrics.provider).build();
      try {
        SpanData poison =
            new DelegatingSpanData(TestSpans.span(0)) {
              @Override
              public String getName() {
                return "poison";
              }
            };
        guest.export(List.of(poison));
        for (int first = 1; first < 200; first += 10) {
          guest.export(TestSpans.batch(first, Math.min(10, 200 - first)));
        }
        exporter.deliveries.awaitDistinct(199, Duration.ofSeconds(30));
        boolean flushed = DeliveryAttacks.flushFully(guest, Duration.ofSeconds(10));
        assertEquals(199, exporter.deliveries.distinct(), () -> "" + exporter.deliveries);
        assertEquals(199, exporter.deliveries.spans(), () -> "" + exporter.deliveries);
        assertEquals(1, exporter.refusals(), "the poison batch reached the sink more than once");
        assertEquals(
            1,
            hostMetrics.sum("spantransport.receiver.rejected", "sink_rejected"),
            "receiver's count of refused batches");
        assertEquals(
            1,
            guestMetrics.sum("spantransport.exporter.spans.dropped", null),
            "guest's dropped spans");
        assertEquals(
            1,
            guestMetrics.sum("spantransport.exporter.spans.dropped", "sink_rejected"),
            "guest's drop reason for the poison span");
        assertEquals(199, guestMetrics.sum("spantransport.exporter.spans.acked", null));
        assertTrue(flushed, "the guest's flush did not complete");
      } finally {
        guest.shutdown().join(10, TimeUnit.SECONDS);
      }
    }
  }

  // 6. Slow loris.

  // 7. One VM takes every connection.

  // 8. Decode bombs.

  /**
   * Sixteen guests at once each send a frame of one span with two million empty events (two bytes
   * each) to a receiver at -Xmx256m whose sinks decode into {@code SpanData} and hold it (the dump
   * printer keeps a trace until it is quiet), while a good guest keeps exporting. Each bomb span
   * reaches the sinks with the default 128 events and the rest counted as dropped; the receiver
   * stays up and the good guest loses nothing. The frames are 4 MiB less 64 KiB, not the 8 MiB
   * maximum: sixteen concurrent frames must fit twice into the default 128 MiB receive budget (read
   * buffer plus copy credit), or every connection waits for memory and none completes.
   */
  @Test
  void decodeBombFramesCannotExhaustReceiverHeap() throws Exception {
    int bombs = 16;
    int defaultMaxEvents = 128;
    int goodSpans = 2_000;
    Path socket = dir.resolve("bomb.sock");
    int bombBytes =
        (int) (SpanReceiverBuilder.DEFAULT_RECEIVE_BUFFER_BUDGET / 2 / bombs) - 64 * 1024;
    byte[] bomb = PayloadAttacks.decodeBomb(bombBytes);
    long eventsPerBomb = PayloadAttacks.bombEvents(bombBytes);
    byte[] frame = RawGuest.frame(FrameType.SPANS, 1, bomb);
    try (ChildJvm receiver =
        ChildJvm.start(
            BombReceiverMain.class,
            "256m",
            Map.of("receiver.endpoint", "unix:" + socket),
            Files.createDirectories(Path.of("target")).resolve("bomb-receiver.log"))) {
      receiver.awaitLine("READY", Duration.ofSeconds(60));
      ExecutorService pool = Executors.newFixedThreadPool(bombs);
      List<Future<RawGuest.Frame>> replies = new ArrayList<>();
      try (Guests good = new Guests(Guests.fastBuilder(socket))) {
        CountDownLatch connected = new CountDownLatch(bombs);
        for (int i = 0; i < bombs; i++) {
          replies.add(
              pool.submit(
                  () -> {
                    try (RawGuest guest = new RawGuest(socket)) {
                      guest.write(RawGuest.hello(SessionId.random()), WAIT);
                      guest.readFrame(WAIT);
                      connected.countDown();
                      connected.await();
                      guest.write(frame, BOMB_WAIT);
                      return guest.readFrame(BOMB_WAIT);
                    }
                  }));
        }
        for (int i = 0; i < goodSpans; i += 100) {
          assertTrue(good.exporter.export(TestSpans.batch(i, 100)).isSuccess());
        }
        for (Future<RawGuest.Frame> reply : replies) {
          RawGuest.Frame f = reply.get(BOMB_WAIT.toSeconds() * 2, TimeUnit.SECONDS);
          assertEquals(FrameType.ACK, f.type(), "reply to a bomb frame");
          assertEquals(1, f.sequence());
        }
        assertTrue(good.flushFully(WAIT), "the good guest could not flush");
      } finally {
        pool.shutdownNow();
      }
      assertTrue(receiver.isAlive(), "receiver JVM died");
      Map<String, Long> stats = receiver.stats();
      assertEquals(bombs, stats.get("bombSpans"), "bomb spans " + stats);
      assertEquals((long) bombs * defaultMaxEvents, stats.get("bombEvents"), "kept events");
      assertEquals(bombs * eventsPerBomb, stats.get("bombTotalEvents"), "recorded events");
      assertEquals(
          bombs * (eventsPerBomb - defaultMaxEvents), stats.get("limitedEvents"), "metric");
      assertEquals(goodSpans, stats.get("goodSpans"), "good spans " + stats);
    }
  }

  // 9. Socket-file permission race.

  // 10. Sustained load.

}
