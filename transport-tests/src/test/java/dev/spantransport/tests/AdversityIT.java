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
import dev.spantransport.tests.adversity.PayloadAttacks;
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

  // 4. Connections leaked after SINK_UNAVAILABLE with a full window.

  // 5. Permanent rejection resent forever.

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
