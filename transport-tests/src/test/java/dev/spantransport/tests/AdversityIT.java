package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.UnixOperatingSystemMXBean;
import dev.spantransport.forwarder.zipkin.ZipkinExporter;
import dev.spantransport.sink.OtlpHttpSink;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.tests.adversity.BombReceiverMain;
import dev.spantransport.tests.adversity.CapturingHttpServer;
import dev.spantransport.tests.adversity.ConnectionFlood;
import dev.spantransport.tests.adversity.CountingSink;
import dev.spantransport.tests.adversity.DeliveryAttacks;
import dev.spantransport.tests.adversity.DeliveryAttacks.Metrics;
import dev.spantransport.tests.adversity.DeliveryAttacks.OutageSink;
import dev.spantransport.tests.adversity.DeliveryAttacks.PoisonRefusingExporter;
import dev.spantransport.tests.adversity.DeliveryAttacks.SlowExporter;
import dev.spantransport.tests.adversity.ForwarderProcess;
import dev.spantransport.tests.adversity.HostileText;
import dev.spantransport.tests.adversity.LoadReceiverMain;
import dev.spantransport.tests.adversity.PayloadAttacks;
import dev.spantransport.tests.adversity.ReceiverCounters;
import dev.spantransport.tests.adversity.SocketFileWatch;
import dev.spantransport.tests.adversity.StreamLedger;
import dev.spantransport.tests.adversity.StreamingGuests;
import dev.spantransport.tests.adversity.TricklingGuests;
import dev.spantransport.tests.adversity.UnixRelay;
import dev.spantransport.text.SafeText;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.SessionId;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

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
                            ZipkinExporter.builder()
                                .setEndpoint(zipkin.baseUrl() + "/api/v2/spans")
                                .build()))
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

  /**
   * A Kata agent and a span-transport guest put ANSI codes, a newline plus a forged guest header,
   * C1, CR, BEL, DEL and NUL into every string they control, and a second Kata frame makes the
   * decoder quote such text in its error. The real forwarder ({@code --dump-only}, debug logging)
   * must print all of it escaped: not one raw control byte on stdout or in the log, no forged line,
   * and the escaped text visible where the guest put it.
   */
  @Test
  void controlCharactersInGuestTextNeverReachTheTerminal(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("forwarder.sock");
    List<String> args =
        List.of("--dump-only", "--listen", "unix:" + socket, "--log-level", "debug");
    byte[] stdout;
    byte[] stderr;
    try (ForwarderProcess forwarder = ForwarderProcess.start(dir, args, Duration.ofSeconds(60))) {
      try (RawGuest kata = new RawGuest(socket)) {
        byte[] frames =
            concat(
                HostileText.kataFrame(HostileText.kataJsonSpan(4660, 1)),
                HostileText.kataFrame(HostileText.kataJsonSpanWithBadStatus()));
        assertTrue(kata.write(frames, Duration.ofSeconds(10)), "forwarder read the Kata frames");
        // The second frame is malformed, so the forwarder closes this connection, after handing
        // the first frame's span to the printer.
        assertTrue(kata.awaitClosed(Duration.ofSeconds(30)), "malformed Kata frame closes");
      }
      try (RawGuest guest = new RawGuest(socket)) {
        ClientHello hello = ClientHello.create(SessionId.random(), HostileText.INJECTION);
        byte[] helloFrame = new byte[hello.frameLength()];
        FrameWriter.writeClientHello(helloFrame, 0, hello);
        assertTrue(guest.write(helloFrame, Duration.ofSeconds(10)));
        assertEquals(FrameType.SERVER_HELLO, guest.readFrame(Duration.ofSeconds(30)).type());
        byte[] spans = RawGuest.frame(FrameType.SPANS, 1, HostileText.otlpSpan(42, 43));
        assertTrue(guest.write(spans, Duration.ofSeconds(10)));
        RawGuest.Frame ack = guest.readFrame(Duration.ofSeconds(30));
        assertEquals(FrameType.ACK, ack.type(), "the hostile batch is accepted, not refused");
        assertEquals(1, ack.sequence());
      }
      forwarder.stop(Duration.ofSeconds(30)); // SIGTERM: prints what it holds, logs, exits
      stdout = forwarder.stdout();
      stderr = forwarder.stderr();
    }
    String out = new String(stdout, StandardCharsets.UTF_8);
    String err = new String(stderr, StandardCharsets.UTF_8);
    // Failure messages show the output escaped: raw, it would attack the terminal reading them.
    String shownOut = SafeText.escape(out);
    String shownErr = SafeText.escape(err);

    assertNull(
        HostileText.firstRawControl(stdout), "raw control character in the dump:\n" + shownOut);
    assertNull(
        HostileText.firstRawControl(stderr), "raw control character in the log:\n" + shownErr);
    List<String> lines = out.lines().toList();
    assertEquals(
        0,
        lines.stream().filter(l -> l.startsWith(HostileText.FORGED_HEADER)).count(),
        "forged header lines in:\n" + shownOut);
    assertEquals(
        2,
        lines.stream().filter(l -> l.startsWith("guest ")).count(),
        "one tree per guest:\n" + shownOut);
    assertEquals(
        2,
        lines.stream().filter(l -> l.startsWith("trace ")).count(),
        "one trace line per guest:\n" + shownOut);
    // Each guest's 8 strings (service name, span name, attribute key and value, event name, event
    // attribute key and value, status message) print escaped, in place.
    assertEquals(16, occurrences(out, "\\e[31mred\\e[0m\\n"), shownOut);
    List<String> decodeErrors =
        err.lines().filter(l -> l.contains("sent a malformed legacy frame")).toList();
    assertEquals(1, decodeErrors.size(), shownErr);
    assertTrue(
        decodeErrors.get(0).contains("status_code must be one of Unset, Ok, Error: \"\\e[31mred"),
        SafeText.escape(decodeErrors.get(0)));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      n++;
    }
    return n;
  }

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
        UnixRelay cutter = new UnixRelay(dir.resolve("relay.sock"), socket);
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

  /**
   * Tricklers announce frames whose sizes add up to more than the whole budget (the largest first,
   * then smaller ones that fill what is left) and send one byte per 100 ms. A good guest must still
   * deliver while all of them are connected; each trickler is closed at the frame deadline with an
   * ERROR saying so, and the budget returns to zero.
   */
  @Test
  void slowLorisGuestsCannotExhaustTheBudget(@TempDir Path dir) throws Exception {
    int maxFrame = 1 << 20;
    int[] sizes = {
      maxFrame, 512 << 10, 256 << 10, 128 << 10, 64 << 10, 32 << 10, 16 << 10, 9 << 10
    };
    int[] counts = {8, 2, 2, 2, 2, 2, 64, 16};
    int tricklers = IntStream.of(counts).sum();
    Duration frameTimeout = Duration.ofSeconds(8);
    Path socket = dir.resolve("loris.sock");
    CountingSink sink = new CountingSink();
    ReceiverCounters counters = new ReceiverCounters();
    SpanReceiver receiver =
        Receivers.start(
            Receivers.builder(socket, sink)
                .setMaxFrameLength(maxFrame)
                .setReceiveBufferBudget(8L * maxFrame)
                .setFrameTimeout(frameTimeout)
                .setMeterProvider(counters.meterProvider()));
    try {
      try (TricklingGuests lorises =
          TricklingGuests.connect(socket, tricklers, Duration.ofSeconds(10))) {
        for (int i = 0, first = 0; i < sizes.length; first += counts[i++]) {
          lorises.announce(first, first + counts[i], sizes[i]); // largest first
          for (int round = 0; round < 2; round++) {
            assertEquals(tricklers, lorises.trickle(), "every trickler connected");
            Thread.sleep(100); // the trickle rate, not a wait for a result
          }
        }
        try (Guests good = new Guests(Guests.fastBuilder(socket))) {
          good.exporter.export(TestSpans.batch(0, 50));
          assertTrue(
              good.flushFully(Duration.ofSeconds(5)),
              "the good guest's 50 spans are acked while the tricklers hold announced frames");
        }
        assertEquals(50, sink.spans());
        assertEquals(0, counters.rejected("frame_timeout"), "tricklers alive during delivery");
        long bases = (long) tricklers * SpanReceiverBuilder.DEFAULT_READ_BUFFER_SIZE;
        assertTrue(
            Receivers.await(() -> receiver.bufferedBytes() == bases, Duration.ofSeconds(5)),
            "tricklers hold their base buffers only, not what they announced: "
                + receiver.bufferedBytes()
                + " bytes");

        long deadline = System.nanoTime() + frameTimeout.multipliedBy(3).toNanos();
        while (lorises.trickle() > 0) {
          assertTrue(System.nanoTime() - deadline < 0, "tricklers still open after 3x deadline");
          Thread.sleep(100); // the trickle rate, not a wait for a result
        }
        for (TricklingGuests.Guest g : lorises.guests()) {
          assertNotNull(g.error(), "ERROR before close");
          assertEquals(ErrorCode.PROTOCOL_VIOLATION, g.error().code());
          assertTrue(g.error().fatal());
          assertTrue(
              g.error().message().startsWith("frame not completed within " + frameTimeout),
              g.error().message());
        }
        assertEquals(tricklers, counters.rejected("frame_timeout"));
      }
      assertTrue(
          Receivers.await(
              () -> receiver.connectionCount() == 0 && receiver.bufferedBytes() == 0,
              Duration.ofSeconds(10)),
          "budget back to baseline: "
              + receiver.bufferedBytes()
              + " bytes, "
              + receiver.connectionCount()
              + " connections");
    } finally {
      receiver.close();
    }
  }

  // 7. One VM takes every connection.

  /**
   * One peer (127.0.0.2) opens 5,000 TCP connections and holds them without a handshake; another
   * (127.0.0.1) connects after it and must still deliver. The first peer keeps exactly its cap; the
   * rest of its connections are refused and counted.
   */
  @Test
  void oneVmCannotTakeEveryConnection() throws Exception {
    int flood = 5000;
    int cap = SpanReceiverBuilder.DEFAULT_MAX_CONNECTIONS_PER_PEER;
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    String endpoint = "tcp://127.0.0.1:" + port;
    CountingSink sink = new CountingSink();
    ReceiverCounters counters = new ReceiverCounters();
    SpanReceiver receiver =
        Receivers.start(
            SpanReceiver.builder()
                .addEndpoint(endpoint)
                .addSink(sink)
                .setHandshakeTimeout(Duration.ofMinutes(5))
                .setShutdownTimeout(Duration.ofSeconds(2))
                .setMeterProvider(counters.meterProvider()));
    try (ConnectionFlood one =
        ConnectionFlood.open(
            InetAddress.getByName("127.0.0.2"),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            flood)) {
      try (Guests other =
          new Guests(
              VsockSpanExporter.builder()
                  .setEndpoint(endpoint)
                  .setConnectTimeout(Duration.ofSeconds(2))
                  .setTimeout(Duration.ofSeconds(5))
                  .setReconnectInitialBackoff(Duration.ofMillis(20))
                  .setReconnectMaxBackoff(Duration.ofMillis(200)))) {
        other.exporter.export(TestSpans.batch(0, 20));
        assertTrue(
            other.flushFully(Duration.ofSeconds(20)),
            "the second peer delivers while the first holds " + receiver.connectionCount());
      }
      assertEquals(20, sink.spans());
      assertTrue(
          Receivers.await(() -> one.closedByPeer() == flood - cap, Duration.ofSeconds(60)),
          "refused connections of the first peer closed: " + one.closedByPeer());
      assertEquals(cap, receiver.connectionCount(), "the first peer keeps exactly its cap");
      assertEquals(flood - cap, counters.refused("peer_connections"));
      assertEquals(0, counters.refused("max_connections"));
    } finally {
      receiver.close();
    }
  }

  // 8. Decode bombs.

  /**
   * Sixteen guests at once each send a frame of one span with about half a million empty events
   * (two bytes each) to a receiver at -Xmx256m whose sinks decode into {@code SpanData} and hold it
   * (the dump printer keeps a trace until it is quiet), while a good guest keeps exporting. Each
   * bomb span reaches the sinks with the default 128 events and the rest counted as dropped; the
   * receiver stays up and the good guest loses nothing. The frames are 1 MiB less 64 KiB, not the 8
   * MiB maximum: all sixteen come from one peer, and sixteen frames, each read and copied, must fit
   * into that peer's share of the receive budget (a quarter of 128 MiB), or every connection waits
   * for memory and none completes.
   */
  @Test
  void decodeBombFramesCannotExhaustReceiverHeap() throws Exception {
    int bombs = 16;
    int defaultMaxEvents = 128;
    int goodSpans = 2_000;
    Path socket = dir.resolve("bomb.sock");
    int bombBytes =
        (int) (SpanReceiverBuilder.DEFAULT_RECEIVE_BUFFER_BUDGET / 8 / bombs) - 64 * 1024;
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

  /**
   * A racing thread reads the socket file's mode in a tight loop while a receiver binds it 100
   * times: it must only ever see the configured mode, never the umask's.
   */
  @Test
  void socketFileIsNeverReachableWithLooserPermissions(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("race.sock");
    SocketFileWatch watch = SocketFileWatch.start(socket);
    try {
      for (int i = 0; i < 100; i++) {
        SpanReceiver r =
            Receivers.start(
                Receivers.builder(socket, new CountingSink())
                    .setSocketFilePermissions(PosixFilePermissions.fromString("rw-------")));
        assertTrue(r.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
      }
    } finally {
      watch.close();
    }
    assertTrue(watch.observations() > 0, "the watch saw the socket file");
    assertEquals(Set.of("rw-------"), watch.seen());
  }

  /**
   * Only a socket file whose connect is refused is stale. A live listener's file, and a socket file
   * that cannot be probed (here a datagram socket: the stream connect fails with EPROTOTYPE, as a
   * permission error would fail it with EACCES), are left alone and the receiver does not start.
   */
  @Test
  void socketFileIsRemovedOnlyWhenItsConnectIsRefused(@TempDir Path dir) throws Exception {
    Path stale = dir.resolve("stale.sock");
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(stale));
    }
    assertTrue(Files.exists(stale));
    SpanReceiver r = Receivers.start(Receivers.builder(stale, new CountingSink()));
    r.close();

    Path live = dir.resolve("live.sock");
    try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      listener.bind(UnixDomainSocketAddress.of(live));
      SpanReceiver taken = Receivers.builder(live, new CountingSink()).build();
      assertFalse(taken.start().join(10, TimeUnit.SECONDS).isSuccess(), "live socket taken over");
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(live))) {
        assertTrue(client.isConnected(), "the live listener still owns its file");
      }
    }

    Path other = dir.resolve("datagram.sock");
    try (AFUNIXDatagramSocket datagram = AFUNIXDatagramSocket.newInstance()) {
      datagram.bind(AFUNIXSocketAddress.of(other));
      Object inode = Files.getAttribute(other, "unix:ino");
      SpanReceiver refused = Receivers.builder(other, new CountingSink()).build();
      assertFalse(refused.start().join(10, TimeUnit.SECONDS).isSuccess(), "unprobed file removed");
      assertEquals(inode, Files.getAttribute(other, "unix:ino"), "the same socket file is there");
    }
  }

  // 10. Sustained load.

  /** Guests streaming at once into one receiver. */
  static final int STREAM_GUESTS = Integer.getInteger("load.stream.guests", 4096);

  /** How long they stream: 30 s by default, 300 s with {@code -Psoak}. */
  static final int STREAM_SECONDS = Integer.getInteger("load.stream.seconds", 30);

  /** Guest JVMs; each runs its share of the guests on one selector thread. */
  static final int STREAM_GUEST_JVMS = 4;

  /**
   * 4,096 guests ({@code load.stream.guests}) each keep a window of SPANS frames in flight,
   * continuously, for 30 s ({@code load.stream.seconds}; 300 s with {@code -Psoak}) into ONE
   * receiver JVM at {@code -Xmx256m}, on the JDK's and on junixsocket's Unix channels
   * (junixsocket's selector is the one every AF_VSOCK guest goes through). Every acked span is in
   * the durable ledger exactly once and nothing else is; every guest got its share: no guest's
   * acked frames fall below a quarter of the mean (no starvation, bounded in counts, not in time).
   * Throughput, the receiver's heap peak and the ack latency percentiles (per guest JVM, and the
   * worst guest's p99) are printed.
   */
  /** The receiver's settings. */
  private static Map<String, String> receiverProperties(Path socket, Path sink, String impl) {
    Map<String, String> p = new HashMap<>();
    p.put("receiver.endpoint", "unix:" + socket);
    p.put("receiver.ledger", sink.toString());
    p.put("receiver.maxConnections", Integer.toString(STREAM_GUESTS + 64));
    p.put("dev.spantransport.unix.impl", impl);
    return p;
  }

  @ParameterizedTest(name = "unix channels: {0}")
  @ValueSource(strings = {"jdk", "junixsocket"})
  void fourThousandGuestsStreamingForThirtySecondsAreAllServed(String impl, @TempDir Path dir)
      throws Exception {
    long needed = 2L * STREAM_GUESTS + 1024;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        && unix.getMaxFileDescriptorCount() < needed) {
      fail(
          "the open-file limit (ulimit -n) is "
              + unix.getMaxFileDescriptorCount()
              + " but this test needs "
              + needed
              + "; run it through scripts/test.sh (which raises it) or raise ulimit -n");
    }
    Path socket = dir.resolve("receiver.sock");
    List<ChildJvm> guestJvms = new ArrayList<>();
    try (StreamLedger ledger = new StreamLedger(dir.resolve("ledger.sock"), STREAM_GUESTS)) {
      ChildJvm receiver =
          ChildJvm.start(
              LoadReceiverMain.class,
              "256m",
              receiverProperties(socket, ledger.path(), impl),
              dir.resolve("receiver.log"));
      try {
        receiver.awaitLine("READY", Duration.ofSeconds(60));
        int perJvm = (STREAM_GUESTS + STREAM_GUEST_JVMS - 1) / STREAM_GUEST_JVMS;
        for (int first = 0; first < STREAM_GUESTS; first += perJvm) {
          guestJvms.add(
              ChildJvm.start(
                  StreamingGuests.class,
                  "512m",
                  Map.of(
                      "guests.socket", socket.toString(),
                      "guests.first", Integer.toString(first),
                      "guests.count", Integer.toString(Math.min(perJvm, STREAM_GUESTS - first)),
                      "guests.seconds", Integer.toString(STREAM_SECONDS),
                      "guests.spansPerFrame", "32",
                      "guests.window", "4"),
                  dir.resolve("guests-" + first + ".log")));
        }
        for (ChildJvm g : guestJvms) {
          g.awaitLine("READY", Duration.ofMinutes(3));
        }
        assertEquals(
            STREAM_GUESTS, receiver.stats().get("connections"), "receiver's open connections");
        for (ChildJvm g : guestJvms) {
          g.send("go");
        }
        // Two thirds into the run, every guest streaming: a full collection in the receiver, and
        // what stays in use after it is its live heap under load.
        Thread.sleep(STREAM_SECONDS * 2000L / 3); // when to sample, not an assertion
        long liveUnderLoad = receiver.stats("gc-stats").get("heapUsed");
        long[] spansAcked = new long[STREAM_GUESTS];
        long[] framesAcked = new long[STREAM_GUESTS];
        List<String> done = new ArrayList<>();
        long worstP99 = -1;
        int worstGuest = -1;
        for (ChildJvm g : guestJvms) {
          // Streaming, then each guest drains its window (bounded by the guest itself).
          String line = g.awaitLine("GUEST ", Duration.ofSeconds(STREAM_SECONDS + 180));
          while (line.startsWith("GUEST ")) {
            String[] f = line.split(" ");
            int id = Integer.parseInt(f[1]);
            spansAcked[id] = Long.parseLong(f[2]);
            framesAcked[id] = Long.parseLong(f[3]);
            long p99 = Long.parseLong(f[4]);
            if (p99 > worstP99) {
              worstP99 = p99;
              worstGuest = id;
            }
            line = g.awaitLine("", Duration.ofSeconds(30));
          }
          assertTrue(line.startsWith("DONE "), line);
          done.add(line);
        }
        Map<String, Long> stats = receiver.stats();
        long totalSpans = 0;
        long totalFrames = 0;
        long minFrames = Long.MAX_VALUE;
        for (int id = 0; id < STREAM_GUESTS; id++) {
          totalSpans += spansAcked[id];
          totalFrames += framesAcked[id];
          minFrames = Math.min(minFrames, framesAcked[id]);
        }
        System.out.printf(
            Locale.ROOT,
            "SustainedLoad impl=%s guests=%d seconds=%d spans=%d frames=%d spansPerSecond=%.0f"
                + " minFramesPerGuest=%d meanFramesPerGuest=%.1f worstGuestP99=%.1fms"
                + " (guest %d) receiverLiveHeapUnderLoad=%.1fMiB receiverLiveHeapPeak=%.1fMiB"
                + " receiverHeapPoolsPeak=%.1fMiB (-Xmx %.0fMiB)%n  %s%n",
            impl,
            STREAM_GUESTS,
            STREAM_SECONDS,
            totalSpans,
            totalFrames,
            totalSpans / (double) STREAM_SECONDS,
            minFrames,
            totalFrames / (double) STREAM_GUESTS,
            worstP99 / 1000.0,
            worstGuest,
            liveUnderLoad / 1048576.0,
            stats.get("liveHeapPeak") / 1048576.0,
            stats.get("heapPeak") / 1048576.0,
            stats.get("heapMax") / 1048576.0,
            String.join("\n  ", done));

        // Exactly once: every acked span is in the ledger, once; nothing else is.
        assertTrue(ledger.awaitUnique(totalSpans, Duration.ofSeconds(30)), ledger.toString());
        assertEquals(totalSpans, ledger.unique(), ledger.toString());
        assertEquals(0, ledger.duplicates(), ledger.toString());
        assertEquals(0, ledger.redeliveries(), ledger.toString());
        assertEquals(0, ledger.foreign(), ledger.toString());
        assertEquals(0, ledger.malformed(), ledger.toString());
        for (int id = 0; id < STREAM_GUESTS; id++) {
          assertEquals(
              spansAcked[id], ledger.countOf(id), "spans of guest " + id + " in the ledger");
          assertEquals(
              -1, ledger.firstMissing(id, spansAcked[id]), "first missing span of guest " + id);
        }
        // No guest starved: each got at least a quarter of the mean share of acked frames.
        long floor = totalFrames / STREAM_GUESTS / 4;
        assertTrue(floor > 0, "the receiver served " + totalFrames + " frames in all");
        for (int id = 0; id < STREAM_GUESTS; id++) {
          assertTrue(
              framesAcked[id] >= floor,
              "guest "
                  + id
                  + " starved: "
                  + framesAcked[id]
                  + " frames acked, a quarter of the mean is "
                  + floor);
        }
        assertTrue(receiver.isAlive(), "receiver died (OOM?); see " + dir.resolve("receiver.log"));
      } finally {
        for (ChildJvm g : guestJvms) {
          g.close();
        }
        receiver.close();
      }
    }
  }
}
