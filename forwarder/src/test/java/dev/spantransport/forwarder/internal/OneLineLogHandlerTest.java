package dev.spantransport.forwarder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class OneLineLogHandlerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger logger = Logger.getLogger("dev.spantransport.test.GuestText");

  private static List<String> logJson(String level, Runnable logging) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OneLineLogHandler handler =
        OneLineLogHandler.install(
            new PrintStream(bytes, true, StandardCharsets.UTF_8), level, true, "9.9.9");
    try {
      logging.run();
    } finally {
      handler.uninstall();
    }
    return bytes.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
  }

  @Test
  void jsonLinesCarryKatasSlogFieldsAndOurs() throws Exception {
    List<String> lines =
        logJson(
            "debug",
            () -> {
              logger.info("listening on unix:/run/x.sock");
              logger.log(Level.WARNING, "peer {0} sent {1} bad frames", new Object[] {"cid 7", 3});
              logger.fine("debug detail");
              logger.finest("not at debug level");
              logger.log(Level.SEVERE, "sink failed", new IllegalStateException("collector gone"));
            });
    assertEquals(4, lines.size(), String.join("\n", lines));
    JsonNode info = JSON.readTree(lines.get(0));
    assertEquals("INFO", info.get("level").asText());
    assertEquals("listening on unix:/run/x.sock", info.get("msg").asText());
    OffsetDateTime.parse(info.get("ts").asText()); // RFC 3339 with an offset
    assertEquals("span-transport-forwarder", info.get("source").asText());
    assertEquals("span-transport-forwarder", info.get("name").asText());
    assertEquals(Long.toString(ProcessHandle.current().pid()), info.get("pid").asText());
    assertEquals("GuestText", info.get("subsystem").asText());
    assertEquals("9.9.9", info.get("version").asText());
    assertEquals("dev.spantransport.test.GuestText", info.get("logger").asText());
    assertTrue(info.hasNonNull("thread"));

    JsonNode warn = JSON.readTree(lines.get(1));
    assertEquals("WARN", warn.get("level").asText());
    assertEquals("peer cid 7 sent 3 bad frames", warn.get("msg").asText());
    assertEquals("DEBG", JSON.readTree(lines.get(2)).get("level").asText());
    JsonNode error = JSON.readTree(lines.get(3));
    assertEquals("ERRO", error.get("level").asText());
    assertEquals("java.lang.IllegalStateException: collector gone", error.get("error").asText());
  }

  @Test
  void guestControlCharactersStayOnOneLineAndParseBackExactly() throws Exception {
    String guest =
        "span\nforged line\r\u001b[31mred\u009b2J\u0000\u007f\u2028\u2029\t\"quoted\" \\ é ✓";
    List<String> lines = logJson("info", () -> logger.info(guest));
    assertEquals(1, lines.size(), String.join("\n", lines));
    String line = lines.get(0);
    for (char c : line.toCharArray()) {
      boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
      assertTrue(!control, "raw control character " + (int) c + " in " + line);
    }
    assertTrue(line.contains("\\u009b") && line.contains("\\u2028"), line);
    assertEquals(guest, JSON.readTree(line).get("msg").asText());
  }

  @Test
  void librariesLoggingThroughSlf4jReachTheForwardersLog() throws Exception {
    // The Kafka client, libthrift and zipkin-reporter log through SLF4J; without a binding their
    // warnings (a broker refusing us, a bad certificate) would be lost.
    org.slf4j.Logger kafka = org.slf4j.LoggerFactory.getLogger("org.apache.kafka.clients.Example");
    List<String> lines =
        logJson(
            "info",
            () -> {
              kafka.warn("Connection to node {} could not be established", 1);
              kafka.debug("not at info level");
            });
    assertEquals(1, lines.size(), String.join("\n", lines));
    JsonNode warn = JSON.readTree(lines.get(0));
    assertEquals("WARN", warn.get("level").asText());
    assertEquals("Connection to node 1 could not be established", warn.get("msg").asText());
    assertEquals("org.apache.kafka.clients.Example", warn.get("logger").asText());
  }

  @Test
  void textLinesFillInMessageParameters() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OneLineLogHandler handler =
        OneLineLogHandler.install(new PrintStream(bytes, true, StandardCharsets.UTF_8), "info");
    try {
      logger.log(Level.INFO, "request line: {0}", "GET /metrics");
    } finally {
      handler.uninstall();
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.endsWith(" INFO GuestText: request line: GET /metrics\n"), text);
  }
}
