package dev.spantransport.vsock.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.vsock.guest.internal.ChannelOpener;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.wire.FrameWriter;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VsockSpanExporterTest {

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicInteger connectAttempts = new AtomicInteger();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  Path socket() {
    return dir.resolve("host.sock");
  }

  private FakeHost host() throws IOException {
    FakeHost host = new FakeHost(socket());
    closeables.add(host);
    return host;
  }

  private ChannelOpener opener() {
    return timeout -> {
      connectAttempts.incrementAndGet();
      return connect(socket());
    };
  }

  /** Opens the exporter's connection; the JDK's Unix channel here, junixsocket's in a subclass. */
  SocketChannel connect(Path path) throws IOException {
    return SocketChannel.open(UnixDomainSocketAddress.of(path));
  }

  private VsockSpanExporterBuilder builder() {
    return VsockSpanExporter.builder()
        .setChannelOpener(opener())
        .setReconnectInitialBackoff(Duration.ofMillis(10))
        .setReconnectMaxBackoff(Duration.ofMillis(50))
        .setTimeout(Duration.ofSeconds(10));
  }

  private VsockSpanExporter exporter(VsockSpanExporterBuilder builder) {
    VsockSpanExporter exporter = builder.build();
    closeables.add(() -> exporter.shutdown());
    return exporter;
  }

  static List<SpanData> spans(String prefix, int count) {
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      spans.add(span(prefix + "-" + i));
    }
    return spans;
  }

  static SpanData span(String name) {
    return TestSpanData.builder()
        .setSpanContext(
            SpanContext.create(
                "0af7651916cd43dd8448eb211c80319c",
                "b7ad6b7169203331",
                TraceFlags.getSampled(),
                TraceState.getDefault()))
        .setName(name)
        .setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1)
        .setEndEpochNanos(2)
        .setStatus(StatusData.unset())
        .setHasEnded(true)
        .setTotalRecordedEvents(0)
        .setTotalRecordedLinks(0)
        .setAttributes(Attributes.empty())
        .build();
  }

  static List<String> names(byte[] payload) throws IOException {
    List<String> names = new ArrayList<>();
    for (SpanData span : new OtlpSpanDecoder().decode(payload, 0, payload.length)) {
      names.add(span.getName());
    }
    return names;
  }

  private static void assertSucceeds(CompletableResultCode result) {
    assertTrue(result.join(10, TimeUnit.SECONDS).isSuccess(), "result did not succeed in 10 s");
  }

  @Test
  void deliversBatchesAndFlushCompletesWhenAcked() throws Exception {
    FakeHost host = host();
    VsockSpanExporter exporter = exporter(builder());

    assertTrue(exporter.export(spans("a", 2)).isSuccess());
    assertTrue(exporter.export(spans("b", 3)).isSuccess());
    assertSucceeds(exporter.flush());

    FakeHost.Spans first = host.take();
    FakeHost.Spans second = host.take();
    assertEquals(1, first.sequence());
    assertEquals(2, second.sequence());
    assertEquals(List.of("a-0", "a-1"), names(first.payload()));
    assertEquals(List.of("b-0", "b-1", "b-2"), names(second.payload()));
    assertEquals(5, exporter.metrics().acked());
    assertEquals(0, exporter.metrics().droppedTotal());
    assertEquals(exporter.sender().sessionId(), host.hellos.take().sessionId());
  }

  @Test
  void resendsUnackedBatchesWithOriginalSequencesAfterHostRestart() throws Exception {
    ConcurrentHashMap<dev.spantransport.wire.SessionId, Long> sessions = new ConcurrentHashMap<>();
    FakeHost first = new FakeHost(socket(), sessions);
    first.ack = false;
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("a", 1));
    exporter.export(spans("b", 2));
    exporter.export(spans("c", 1));
    List<byte[]> sent =
        List.of(first.take().payload(), first.take().payload(), first.take().payload());
    first.close();

    FakeHost second = new FakeHost(socket(), sessions);
    closeables.add(second);
    assertSucceeds(exporter.flush());

    FakeHost.Spans r1 = second.take();
    FakeHost.Spans r2 = second.take();
    FakeHost.Spans r3 = second.take();
    assertEquals(List.of(1L, 2L, 3L), List.of(r1.sequence(), r2.sequence(), r3.sequence()));
    assertEquals(names(sent.get(0)), names(r1.payload()));
    assertEquals(names(sent.get(1)), names(r2.payload()));
    assertEquals(names(sent.get(2)), names(r3.payload()));
    assertEquals(List.of("c-0"), names(r3.payload()));
    assertEquals(4, exporter.metrics().resent());
    assertEquals(1, exporter.metrics().reconnects());
    assertEquals(4, exporter.metrics().acked());
  }

  @Test
  void serverHelloAckedSequenceRetiresBatchesWithoutResending() throws Exception {
    ConcurrentHashMap<dev.spantransport.wire.SessionId, Long> sessions = new ConcurrentHashMap<>();
    FakeHost first = new FakeHost(socket(), sessions);
    first.ack = false;
    VsockSpanExporter exporter = exporter(builder());
    for (int i = 0; i < 3; i++) {
      exporter.export(spans("s" + i, 1));
    }
    for (int i = 0; i < 3; i++) {
      first.take();
    }
    first.close();
    // the host delivered batches 1 and 2 to its sink but the acks were lost with the connection
    sessions.put(exporter.sender().sessionId(), 2L);

    FakeHost second = new FakeHost(socket(), sessions);
    closeables.add(second);
    assertSucceeds(exporter.flush());

    FakeHost.Spans only = second.take();
    assertEquals(3, only.sequence());
    assertFalse(only.duplicate());
    assertTrue(second.received.isEmpty(), "batches 1 and 2 must not be resent");
    assertEquals(3, exporter.metrics().acked());
  }

  @Test
  void dropsNewestWhenWindowIsFullAndCountsEveryDroppedSpan() throws Exception {
    VsockSpanExporter exporter =
        exporter(
            builder().setMaxInflightBatches(2).setFullBufferPolicy(FullBufferPolicy.DROP_NEWEST));

    assertTrue(exporter.export(spans("a", 1)).isSuccess());
    assertTrue(exporter.export(spans("b", 2)).isSuccess());
    assertFalse(exporter.export(spans("c", 3)).isSuccess());
    assertFalse(exporter.export(spans("d", 4)).isSuccess());

    assertEquals(7, exporter.metrics().dropped(DropReason.BUFFER_FULL));
    FakeHost host = host();
    assertSucceeds(exporter.flush());
    assertEquals(List.of("a-0"), names(host.take().payload()));
    assertEquals(List.of("b-0", "b-1"), names(host.take().payload()));
    assertTrue(host.received.isEmpty());
    assertEquals(3, exporter.metrics().acked());
  }

  @Test
  void dropsOldestWhenWindowIsFullAndCountsEveryDroppedSpan() throws Exception {
    VsockSpanExporter exporter =
        exporter(
            builder().setMaxInflightBatches(2).setFullBufferPolicy(FullBufferPolicy.DROP_OLDEST));

    for (int i = 1; i <= 5; i++) {
      assertTrue(exporter.export(spans("b" + i, i)).isSuccess());
    }

    assertEquals(1 + 2 + 3, exporter.metrics().dropped(DropReason.BUFFER_FULL));
    FakeHost host = host();
    assertSucceeds(exporter.flush());
    FakeHost.Spans fourth = host.take();
    FakeHost.Spans fifth = host.take();
    assertEquals(4, fourth.sequence());
    assertEquals(5, names(fourth.payload()).size() + 1);
    assertEquals(5, fifth.sequence());
    assertEquals(5, names(fifth.payload()).size());
    assertEquals(9, exporter.metrics().acked());
  }

  @Test
  void dropsWhenInflightBytesWouldBeExceeded() {
    VsockSpanExporter exporter = exporter(builder().setMaxInflightBytes(1024));

    int accepted = 0;
    int dropped = 0;
    for (int i = 0; i < 50; i++) {
      if (exporter.export(spans("x" + i, 1)).isSuccess()) {
        accepted++;
      } else {
        dropped++;
      }
    }

    assertTrue(accepted > 0 && dropped > 0, "accepted " + accepted + ", dropped " + dropped);
    assertEquals(dropped, exporter.metrics().dropped(DropReason.BUFFER_FULL));
    assertEquals(accepted, exporter.metrics().exported());
  }

  @Test
  void flushFailsAtItsDeadlineSayingHowManySpansAreUnacked() {
    VsockSpanExporter exporter = exporter(builder().setTimeout(Duration.ofMillis(200)));
    exporter.export(spans("a", 3));

    CompletableResultCode flush = exporter.flush().join(10, TimeUnit.SECONDS);

    assertTrue(flush.isDone(), "flush must fail at its deadline");
    assertFalse(flush.isSuccess());
    assertTrue(
        flush.getFailureThrowable().getMessage().contains("3 spans are not acknowledged"),
        flush.getFailureThrowable().getMessage());
  }

  @Test
  void shutdownWithHostGoneHonoursDeadlineDropsAndLeavesNoThread() throws Exception {
    VsockSpanExporter exporter = exporter(builder().setTimeout(Duration.ofMillis(200)));
    exporter.export(spans("a", 4));
    Thread sender = exporter.sender().thread();
    assertTrue(sender.isAlive());

    CompletableResultCode result = exporter.shutdown().join(30, TimeUnit.SECONDS);

    assertTrue(result.isDone());
    assertFalse(result.isSuccess());
    assertFalse(sender.isAlive(), "sender thread must be gone after shutdown");
    assertEquals(4, exporter.metrics().dropped(DropReason.SHUTDOWN));
  }

  @Test
  void shutdownFlushesThenStopsTheThread() throws Exception {
    FakeHost host = host();
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("a", 2));

    assertTrue(exporter.shutdown().join(30, TimeUnit.SECONDS).isSuccess());

    assertEquals(List.of("a-0", "a-1"), names(host.take().payload()));
    assertFalse(exporter.sender().thread().isAlive());
    assertEquals(2, exporter.metrics().acked());
  }

  @Test
  void callsAfterShutdownFailFastAndSecondShutdownSucceeds() {
    VsockSpanExporter exporter = exporter(builder().setTimeout(Duration.ofMillis(100)));
    CompletableResultCode shutdown = exporter.shutdown();

    assertFalse(exporter.export(spans("late", 1)).isSuccess());
    assertFalse(exporter.flush().isSuccess());
    assertTrue(exporter.shutdown().isSuccess());
    assertTrue(shutdown.join(30, TimeUnit.SECONDS).isDone());
    assertEquals(0, exporter.metrics().exported());
  }

  @Test
  void shutdownReturnsAPendingResultAtOnceWhileTheHostIsSlow() throws Exception {
    FakeHost host = host();
    host.ack = false;
    VsockSpanExporter exporter = exporter(builder().setTimeout(Duration.ofSeconds(30)));
    exporter.export(spans("a", 1));
    host.take();

    CompletableResultCode result = exporter.shutdown();

    assertFalse(result.isDone(), "shutdown must not wait for the host on the caller's thread");
    byte[] ack = new byte[64];
    host.send(ack, dev.spantransport.wire.FrameWriter.writeAck(ack, 0, 1));
    assertTrue(result.join(30, TimeUnit.SECONDS).isSuccess());
    assertFalse(exporter.sender().thread().isAlive());
  }

  @Test
  void keepsRetryingInTheBackgroundUntilTheHostAppears() throws Exception {
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("early", 1));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (connectAttempts.get() < 3) {
      assertTrue(System.nanoTime() < deadline, "fewer than 3 connect attempts in 10 s");
      Thread.onSpinWait();
    }

    FakeHost host = host();

    assertSucceeds(exporter.flush());
    assertEquals(List.of("early-0"), names(host.take().payload()));
  }

  @Test
  void hostRejectionDropsTheBatchInsteadOfResendingIt() throws Exception {
    FakeHost host = host();
    host.rejectSequences.add(1L);
    VsockSpanExporter exporter = exporter(builder());

    exporter.export(spans("bad", 2));
    exporter.export(spans("good", 1));
    assertSucceeds(exporter.flush());

    assertEquals(2, exporter.metrics().dropped(DropReason.REJECTED));
    assertEquals(1, exporter.metrics().acked());
    assertEquals(0, exporter.metrics().resent());
  }

  @Test
  void answersPingWithPong() throws Exception {
    FakeHost host = host();
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("a", 1));
    host.take();
    byte[] ping = new byte[FrameWriter.EMPTY_FRAME_LENGTH];

    host.send(ping, FrameWriter.writePing(ping, 0, 0x5EED));

    assertEquals(0x5EED, host.pongs.poll(10, TimeUnit.SECONDS));
  }

  @Test
  void ackBeyondTheHighestSentSequenceRetiresNothingAndTheBatchIsStillSent() throws Exception {
    FakeHost host = host();
    host.window = 1; // batch 2 waits in the exporter until batch 1 is acked
    host.ack = false;
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("a", 1));
    exporter.export(spans("b", 1));
    assertEquals(1, host.take().sequence());

    byte[] frame = new byte[64];
    host.ack = true;
    host.send(frame, FrameWriter.writeAck(frame, 0, 2)); // batch 2 was never sent

    long sequence;
    do {
      sequence = host.take().sequence();
    } while (sequence != 2);
    assertSucceeds(exporter.flush());
    assertEquals(2, exporter.metrics().acked());
    assertEquals(0, exporter.metrics().droppedTotal());
  }

  @Test
  void serverHelloAckedSequenceBeyondWhatWasSentRetiresNothing() throws Exception {
    ConcurrentHashMap<dev.spantransport.wire.SessionId, Long> sessions = new ConcurrentHashMap<>();
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("a", 1));
    exporter.export(spans("b", 1));
    // a broken host claims batches of this session it never received
    sessions.put(exporter.sender().sessionId(), 1000L);
    FakeHost host = new FakeHost(socket(), sessions);
    closeables.add(host);

    for (int i = 0; i < 2; i++) {
      assertTrue(
          host.hellos.poll(10, TimeUnit.SECONDS) != null, "exporter did not say hello again");
    }
    assertEquals(0, exporter.metrics().acked());
    assertEquals(0, exporter.metrics().droppedTotal());

    sessions.remove(exporter.sender().sessionId());
    assertSucceeds(exporter.flush());
    assertEquals(2, exporter.metrics().acked());
  }

  @Test
  void goAwayMakesTheExporterReconnectAndResendWhatWasNotAcked() throws Exception {
    ConcurrentHashMap<dev.spantransport.wire.SessionId, Long> sessions = new ConcurrentHashMap<>();
    FakeHost host = new FakeHost(socket(), sessions);
    closeables.add(host);
    host.ack = false;
    VsockSpanExporter exporter = exporter(builder());
    exporter.export(spans("a", 1));
    exporter.export(spans("b", 1));
    host.take();
    host.take();
    byte[] frame = new byte[64];
    host.ack = true;
    host.send(frame, FrameWriter.writeAck(frame, 0, 1));
    sessions.put(exporter.sender().sessionId(), 1L);

    host.send(frame, FrameWriter.writeGoAway(frame, 0, 1, "restarting"));

    assertSucceeds(exporter.flush());
    FakeHost.Spans resent = host.take();
    assertEquals(2, resent.sequence());
    assertEquals(2, resent.connection());
  }

  @Test
  void hostHangingUpIsNoticedWithoutWaitingForTheTimeout() throws Exception {
    ConcurrentHashMap<dev.spantransport.wire.SessionId, Long> sessions = new ConcurrentHashMap<>();
    FakeHost host = new FakeHost(socket(), sessions);
    closeables.add(host);
    host.ack = false;
    // a timeout far beyond the bounded waits: only noticing the hang-up itself can pass
    VsockSpanExporter exporter = exporter(builder().setTimeout(Duration.ofSeconds(60)));
    exporter.export(spans("a", 1));
    host.take();
    host.ack = true;

    host.dropConnection();

    FakeHost.Spans resent = host.take();
    assertEquals(1, resent.sequence());
    assertEquals(2, resent.connection());
    assertSucceeds(exporter.flush());
  }

  @Test
  void framesTheHostSentJustBeforeHangingUpAreStillRead() throws Exception {
    FakeHost host = host();
    host.ack = false;
    VsockSpanExporter exporter = exporter(builder().setTimeout(Duration.ofSeconds(60)));
    exporter.export(spans("a", 1));
    exporter.export(spans("b", 1));
    host.take();
    host.take();
    host.ack = true;
    byte[] frame = new byte[64];

    // the host's last words, then it is gone: like a receiver that drains after GOAWAY and closes
    host.sendAndHangUp(frame, FrameWriter.writeAck(frame, 0, 1));

    FakeHost.Spans resent = host.take();
    assertEquals(2, resent.sequence(), "batch 1 was acked before the hang-up: not resent");
    assertEquals(2, resent.connection());
    assertSucceeds(exporter.flush());
    assertEquals(1, exporter.metrics().resent());
  }

  @Test
  void exportNeverBlocksWhenTheHostStopsReading() throws Exception {
    FakeHost host = host();
    host.readNothing = true;
    VsockSpanExporter exporter =
        exporter(builder().setMaxInflightBatches(8).setMaxInflightBytes(64 * 1024));
    List<SpanData> big = spans("big-" + "x".repeat(2000), 5);
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    AtomicInteger completed = new AtomicInteger();
    Thread app =
        new Thread(
            () -> {
              for (int i = 0; i < 2000; i++) {
                if (exporter.export(big).isDone()) {
                  completed.incrementAndGet();
                }
              }
              done.countDown();
            });

    app.start();

    assertTrue(done.await(30, TimeUnit.SECONDS), "export blocked the application thread");
    assertEquals(2000, completed.get(), "every export result must be complete on return");
    assertTrue(exporter.metrics().dropped(DropReason.BUFFER_FULL) > 0);
    assertEquals(
        2000L * 5,
        exporter.metrics().exported() + exporter.metrics().dropped(DropReason.BUFFER_FULL));
  }

  @Test
  void toStringShowsTheConfiguration() {
    VsockSpanExporter exporter =
        exporter(builder().setEndpoint("unix:/run/spans.sock").setMaxInflightBatches(7));

    String text = exporter.toString();

    assertTrue(text.startsWith("VsockSpanExporter{endpoint=unix:/run/spans.sock"), text);
    assertTrue(text.contains("maxInflightBatches=7"), text);
    assertTrue(text.contains("fullBufferPolicy=DROP_NEWEST"), text);
    assertEquals(text, exporter(exporter.toBuilder()).toString());
  }
}
