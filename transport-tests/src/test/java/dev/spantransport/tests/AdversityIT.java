package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.tests.adversity.ForwarderProcess;
import dev.spantransport.tests.adversity.HostileText;
import dev.spantransport.text.SafeText;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.SessionId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

}
