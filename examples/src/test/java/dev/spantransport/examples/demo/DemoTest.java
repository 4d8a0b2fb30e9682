package dev.spantransport.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoTest {

  @Test
  void everySpanOfEveryGuestJvmArrivesAndIsPrinted() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Demo.Report report =
        Demo.run(
            2,
            3,
            Duration.ofSeconds(60),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    int perGuest = DemoGuest.spansFor(3);
    assertEquals(Map.of("guest-1", perGuest, "guest-2", perGuest), report.sent(), err.toString());
    assertEquals(
        Map.of("guest-1", (long) perGuest, "guest-2", (long) perGuest), report.printed(), text);
    assertEquals(2L * perGuest, report.accepted());
    assertTrue(report.complete());
    assertTrue(text.contains("· service guest-1\n"), text);
    assertTrue(text.contains("POST payments-gateway /v1/charges [CLIENT]"), text);
    assertTrue(text.contains("OK: every span of every guest arrived"), text);
  }
}
