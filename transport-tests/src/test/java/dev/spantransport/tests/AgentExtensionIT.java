package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.tests.app.HttpApp;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real OpenTelemetry Java agent, attached to an unmodified application ({@link HttpApp}) in a
 * separate JVM, loads span-transport's agent-extension jar and, with {@code
 * otel.traces.exporter=vsock}, sends the spans of its own HTTP client and server instrumentation
 * over a Unix socket to a {@link SpanReceiver} in this JVM.
 */
class AgentExtensionIT {

  private static final int CALLS = 3;

  @TempDir Path dir;

  @Test
  void agentWithExtensionDeliversAnUnmodifiedAppsSpansToTheReceiver() throws Exception {
    Path socket = dir.resolve("agent.sock");
    InMemorySpanExporter received = InMemorySpanExporter.create();
    SpanReceiver receiver =
        SpanReceiver.builder().addEndpoint("unix:" + socket).setSpanExporter(received).build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess(), "receiver start");
    Path log = dir.resolve("app.log");
    Process app = null;
    try {
      List<String> command = Peers.javaCommand();
      command.addAll(
          List.of(
              "-javaagent:" + Peers.jar("opentelemetry-javaagent.jar"),
              "-Dotel.javaagent.extensions=" + Peers.jar("span-transport-agent-extension.jar"),
              "-Dotel.service.name=agent-app",
              "-Dotel.traces.exporter=vsock",
              "-Dotel.exporter.vsock.endpoint=unix:" + socket,
              "-Dotel.metrics.exporter=none",
              "-Dotel.logs.exporter=none",
              "-Dotel.bsp.schedule.delay=100",
              "-XX:TieredStopAtLevel=1",
              "-cp",
              Path.of(HttpApp.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                  .toString(),
              HttpApp.class.getName(),
              Integer.toString(CALLS)));
      app =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertTrue(app.waitFor(120, TimeUnit.SECONDS), "app did not exit:\n" + Peers.tail(log));
      assertEquals(0, app.exitValue(), "app exit status:\n" + Peers.tail(log));
      // The agent's shutdown hook flushed the exporter, which waits for acks: the spans are in.
      List<SpanData> spans = awaitSpans(received, 2 * CALLS, log);

      Map<SpanKind, List<SpanData>> byKind =
          spans.stream().collect(Collectors.groupingBy(SpanData::getKind));
      List<SpanData> clients = byKind.getOrDefault(SpanKind.CLIENT, List.of());
      List<SpanData> servers = byKind.getOrDefault(SpanKind.SERVER, List.of());
      assertEquals(CALLS, clients.size(), "client spans: " + spans);
      assertEquals(CALLS, servers.size(), "server spans: " + spans);
      for (SpanData server : servers) {
        assertTrue(
            clients.stream()
                .anyMatch(
                    c ->
                        c.getTraceId().equals(server.getTraceId())
                            && c.getSpanId().equals(server.getParentSpanId())),
            "server span's parent is one of the app's client spans: " + server);
      }
      long appPid = app.pid();
      for (SpanData span : spans) {
        Resource resource = span.getResource();
        assertEquals("agent-app", resource.getAttribute(AttributeKey.stringKey("service.name")));
        assertEquals(
            "opentelemetry-java-instrumentation",
            resource.getAttribute(AttributeKey.stringKey("telemetry.distro.name")));
        assertEquals("unix", resource.getAttribute(PeerAttributes.TRANSPORT));
        assertEquals(appPid, resource.getAttribute(PeerAttributes.PID), "peer pid is the app's");
      }
    } finally {
      if (app != null && app.isAlive()) {
        Peers.stop(app);
      }
      assertTrue(receiver.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "receiver shutdown");
    }
  }

  private static List<SpanData> awaitSpans(InMemorySpanExporter received, int count, Path log)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (received.getFinishedSpanItems().size() < count) {
      if (System.nanoTime() > deadline) {
        fail(
            "received "
                + received.getFinishedSpanItems().size()
                + " of "
                + count
                + " spans; app log:\n"
                + Peers.tail(log));
      }
      Thread.sleep(50); // polling interval, not an assertion
    }
    return received.getFinishedSpanItems();
  }
}
