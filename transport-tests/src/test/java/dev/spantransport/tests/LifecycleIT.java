package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.tests.adversity.UnixRelay;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VMs are frozen, snapshotted and restored while they stream spans: a guest JVM is SIGSTOPped for
 * longer than every timeout (its own PING and connect timeouts, the receiver's idle timeout), its
 * connections are reset while it is stopped (what Firecracker does on restore) or its host
 * restarts, and its wall clock jumps hours either way. Each time, every span reaches the sink
 * exactly once.
 */
class LifecycleIT {

  static final int SPANS = 20_000;

  /** Longer than the guest's PING timeout (1 s), its connect timeout (1 s) and the idle timeout. */
  static final Duration FREEZE = Duration.ofSeconds(4);

  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);

  @TempDir Path dir;
  private final SpanLedger ledger = new SpanLedger();
  private SpanReceiver receiver;
  private UnixRelay proxy;
  private ChildJvm guest;

  @AfterEach
  void tearDown() throws Exception {
    if (guest != null) {
      guest.signal("CONT");
      guest.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (receiver != null) {
      receiver.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  private SpanReceiver startReceiver() {
    return Receivers.start(
        Receivers.builder(dir.resolve("host.sock"), new LedgerSink(ledger))
            .setIdleTimeout(IDLE_TIMEOUT));
  }

  /** Receiver, relay (the VMM) and a guest JVM that has sent a quarter of its spans. */
  private void startStreaming() throws Exception {
    receiver = startReceiver();
    proxy = new UnixRelay(dir.resolve("vm.sock"), dir.resolve("host.sock"));
    guest =
        ChildJvm.start(
            LifecycleGuest.class,
            "256m",
            Map.of(
                "guest.endpoint",
                "unix:" + dir.resolve("vm.sock"),
                "guest.spans",
                Integer.toString(SPANS),
                "guest.batch",
                "100",
                "guest.pause.ms",
                "2"),
            dir.resolve("guest.log"));
    guest.awaitLine("STARTED", Duration.ofSeconds(60));
    guest.awaitLine("SENT " + SPANS / 4, Duration.ofSeconds(60));
  }

  /** Waits for the guest's final line and returns its key=value pairs. */
  private Map<String, String> awaitDone() throws InterruptedException {
    String line = guest.awaitLine("DONE ", Duration.ofMinutes(3));
    Map<String, String> out = new HashMap<>();
    for (String kv : line.substring(5).split(" ")) {
      int eq = kv.indexOf('=');
      out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }

  private void assertEverySpanOnce(Map<String, String> done, boolean sameHost) {
    System.out.println("guest " + done + " sink " + ledger);
    assertEquals("true", done.get("flushed"), done.toString());
    assertEquals(Integer.toString(SPANS), done.get("acked"), done.toString());
    assertEquals("0", done.get("dropped"), done.toString());
    assertEquals(SPANS, ledger.unique(), ledger.toString());
    assertEquals(0, ledger.duplicates(), ledger.toString());
    if (sameHost) {
      // the receiver remembered every acked (session, sequence): resends never reached the sink
      assertEquals(0, ledger.redeliveries(), ledger.toString());
    }
  }

  @Test
  void frozenGuestResumesWithoutLosingOrDuplicatingASpan() throws Exception {
    startStreaming();

    guest.signal("STOP");
    Thread.sleep(FREEZE.toMillis()); // the scenario: frozen past every timeout
    guest.signal("CONT");

    Map<String, String> done = awaitDone();
    assertEverySpanOnce(done, true);
    // the receiver's idle timeout closed the frozen guest's connection: it had to reconnect
    assertTrue(Long.parseLong(done.get("reconnects")) >= 1, done.toString());
  }

  @Test
  void restoreResetsEveryConnectionWhileFrozenAndNothingIsLostOrDuplicated() throws Exception {
    startStreaming();

    guest.signal("STOP");
    proxy.cutAll();
    Thread.sleep(FREEZE.toMillis());
    int before = proxy.accepted();
    guest.signal("CONT");

    Map<String, String> done = awaitDone();
    assertEverySpanOnce(done, true);
    assertTrue(proxy.accepted() > before, "the guest never reconnected: " + proxy.accepted());
    assertTrue(Long.parseLong(done.get("reconnects")) >= 1, done.toString());
  }

  @Test
  void hostRestartWhileTheGuestIsFrozenLosesNothing() throws Exception {
    startStreaming();

    guest.signal("STOP");
    receiver.shutdown().join(10, TimeUnit.SECONDS);
    proxy.cutAll();
    receiver = startReceiver();
    Thread.sleep(FREEZE.toMillis());
    guest.signal("CONT");

    // a new host has no memory of the old one's acks: resends may reach the sink again, and the
    // ledger drops them by (session, sequence) as PROTOCOL.md tells consumers to
    assertEverySpanOnce(awaitDone(), false);
  }

  /** A wall clock that the test moves by hours; nanoTime stays monotonic, as the JVM's does. */
  static final class JumpingClock implements Clock {
    final AtomicLong offsetNanos = new AtomicLong();

    @Override
    public long now() {
      return System.currentTimeMillis() * 1_000_000L + offsetNanos.get();
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }

  @Test
  void wallClockJumpsNeitherStallTheExporterNorAlterSpanTimestamps() throws Exception {
    InMemorySpanExporter sink = InMemorySpanExporter.create();
    receiver =
        Receivers.start(
            SpanReceiver.builder()
                .addEndpoint("unix:" + dir.resolve("host.sock"))
                .setSpanExporter(sink)
                .setShutdownTimeout(Duration.ofSeconds(2)));
    JumpingClock clock = new JumpingClock();
    VsockSpanExporter exporter =
        Guests.fastBuilder(dir.resolve("host.sock")).setTimeout(Duration.ofSeconds(1)).build();
    SdkTracerProvider tracing =
        SdkTracerProvider.builder()
            .setClock(clock)
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter)
                    .setScheduleDelay(Duration.ofMillis(20))
                    .build())
            .build();
    Tracer tracer = tracing.get("lifecycle");
    Map<String, long[]> expected = new HashMap<>();
    long[] jumps = {0, -TimeUnit.HOURS.toNanos(3), TimeUnit.HOURS.toNanos(5)};
    int perPhase = 300;
    for (int phase = 0; phase < jumps.length; phase++) {
      clock.offsetNanos.set(jumps[phase]);
      for (int i = 0; i < perPhase; i++) {
        Span span = tracer.spanBuilder("p" + phase + "-" + i).startSpan();
        span.end();
        SpanData data = ((ReadableSpan) span).toSpanData();
        expected.put(
            data.getName(), new long[] {data.getStartEpochNanos(), data.getEndEpochNanos()});
      }
      assertTrue(
          tracing.forceFlush().join(30, TimeUnit.SECONDS).isSuccess(),
          "forceFlush after a jump of " + jumps[phase] + " ns did not complete");
    }
    assertTrue(
        Receivers.await(
            () -> sink.getFinishedSpanItems().size() >= expected.size(), Duration.ofSeconds(30)),
        "spans at the sink: " + sink.getFinishedSpanItems().size());
    tracing.shutdown().join(10, TimeUnit.SECONDS);

    List<SpanData> received = sink.getFinishedSpanItems();
    assertEquals(expected.size(), received.size());
    Map<String, Integer> seen = new HashMap<>();
    for (SpanData span : received) {
      seen.merge(span.getName(), 1, Integer::sum);
      long[] times = expected.get(span.getName());
      assertEquals(times[0], span.getStartEpochNanos(), span.getName());
      assertEquals(times[1], span.getEndEpochNanos(), span.getName());
    }
    assertEquals(expected.keySet(), seen.keySet());
    assertTrue(seen.values().stream().allMatch(n -> n == 1), seen.toString());
  }
}
