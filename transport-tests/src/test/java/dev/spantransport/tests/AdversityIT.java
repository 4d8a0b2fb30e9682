package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.spantransport.tests.adversity.ForwarderProcess;
import dev.spantransport.tests.adversity.HostileText;
import dev.spantransport.tests.adversity.LoadReceiverMain;
import dev.spantransport.tests.adversity.StreamLedger;
import dev.spantransport.tests.adversity.StreamingGuests;
import dev.spantransport.text.SafeText;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.SessionId;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attacks on every guarantee span-transport makes, each against the real receiver (and, where the
 * guarantee is the forwarder's, the real forwarder): one test method per attack, named after it,
 * asserting exact counts. The attack fixtures live in {@code dev.spantransport.tests.adversity}.
 */
class AdversityIT {

  // 1. Identity spoofing through span, event and link attributes.

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

  // 4. Connections leaked after SINK_UNAVAILABLE with a full window.

  // 5. Permanent rejection resent forever.

  // 6. Slow loris.

  // 7. One VM takes every connection.

  // 8. Decode bombs.

  // 9. Socket-file permission race.

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
