package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spantransport.sink.LogRecordExporterSink;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.HybridVsockEndpoint;
import dev.spantransport.spi.TcpEndpoint;
import dev.spantransport.spi.UnixEndpoint;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenTelemetry JavaScript SDK from npm ({@code @opentelemetry/sdk-trace-base} with {@code
 * exporter-trace-otlp-proto} and {@code exporter-trace-otlp-http} for JSON; {@code sdk-logs} with
 * {@code exporter-logs-otlp-proto} for log records, {@code send-logs.mjs}), run by Node, as a guest
 * of a {@link SpanReceiver}'s OTLP/HTTP ingress over TCP, a Unix socket and a hybrid-vsock Unix
 * socket. The script is {@code src/test/node/send-traces.mjs}; {@code scripts/setup.sh} installs
 * its packages from the checked-in {@code package-lock.json}. Each test checks every span by name,
 * every parent link, and the socket's identity on every span's resource, with the identity the
 * payload claims replaced.
 *
 * <p>Unix sockets are dialled through the exporters' {@code httpAgentOptions}: Node's {@code
 * http.Agent} takes a {@code socketPath} option and connects there, whatever host the URL names.
 */
class NodeSdkInteropIT {

  private static final Path NODE_PROJECT = Path.of("src/test/node");
  private static final int TRACES = 50;
  private static final long BOUND_SECONDS = 90;

  private static final AttributeKey<String> TRANSPORT =
      AttributeKey.stringKey("spantransport.peer.transport");
  private static final AttributeKey<String> ADDRESS =
      AttributeKey.stringKey("spantransport.peer.address");
  private static final AttributeKey<Long> PORT = AttributeKey.longKey("spantransport.peer.port");
  private static final AttributeKey<String> SOCKET_PATH =
      AttributeKey.stringKey("spantransport.peer.socket_path");
  private static final AttributeKey<Long> PID = AttributeKey.longKey("spantransport.peer.pid");
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");

  @TempDir Path dir;

  private SpanReceiver receiver;
  private final InMemorySpanExporter exported = InMemorySpanExporter.create();
  private final InMemoryLogRecordExporter logs = InMemoryLogRecordExporter.create();

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown().join(20, TimeUnit.SECONDS);
    }
  }

  private void start(Endpoint endpoint) {
    receiver =
        SpanReceiver.builder()
            .addEndpoint(endpoint)
            .addSink(SpanExporterSink.create(exported))
            .addLogSink(LogRecordExporterSink.create(logs))
            .build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess(), "receiver started");
  }

  @Test
  void protobufTracesOverTcpArriveWithTheSocketsIdentity() throws Exception {
    int port = Peers.freePort();
    start(new TcpEndpoint("127.0.0.1", port));
    runNode("proto", "http://127.0.0.1:" + port + "/v1/traces", null);
    for (SpanData span : checkTraces("proto")) {
      Resource resource = span.getResource();
      assertEquals("tcp", resource.getAttribute(TRANSPORT));
      assertEquals("127.0.0.1", resource.getAttribute(ADDRESS), "the payload's claim replaced");
      assertTrue(resource.getAttribute(PORT) > 0);
    }
  }

  @Test
  void jsonTracesOverTcpArriveWithTheSocketsIdentity() throws Exception {
    int port = Peers.freePort();
    start(new TcpEndpoint("127.0.0.1", port));
    runNode("json", "http://127.0.0.1:" + port + "/v1/traces", null);
    for (SpanData span : checkTraces("json")) {
      assertEquals("tcp", span.getResource().getAttribute(TRANSPORT));
      assertEquals("127.0.0.1", span.getResource().getAttribute(ADDRESS));
    }
  }

  @Test
  void protobufTracesOverAUnixSocketArriveWithTheSocketsIdentity() throws Exception {
    Path socket = dir.resolve("otlp.sock");
    start(new UnixEndpoint(socket));
    long pid = runNode("proto", "http://localhost/v1/traces", socket);
    checkUnixIdentity(checkTraces("proto"), "unix", socket, pid);
  }

  @Test
  void jsonTracesOverTheHybridVsockUnixSocketArriveWithTheSocketsIdentity() throws Exception {
    // What a Firecracker guest's connection to vsock port 10240 becomes on the host.
    HybridVsockEndpoint endpoint = new HybridVsockEndpoint(dir.resolve("fc.vsock"), 10240);
    start(endpoint);
    long pid = runNode("json", "http://localhost/v1/traces", endpoint.unixSocketPath());
    checkUnixIdentity(checkTraces("json"), "hvsock", dir.resolve("fc.vsock"), pid);
  }

  @Test
  void protobufLogsOverTcpArriveWithTheirTraceIdsAndTheSocketsIdentity() throws Exception {
    int port = Peers.freePort();
    start(new TcpEndpoint("127.0.0.1", port));
    runNode("send-logs.mjs", "logs", "http://127.0.0.1:" + port + "/v1/logs", null);
    for (LogRecordData log : checkLogs()) {
      Resource resource = log.getResource();
      assertEquals("tcp", resource.getAttribute(TRANSPORT));
      assertEquals("127.0.0.1", resource.getAttribute(ADDRESS), "the payload's claim replaced");
    }
  }

  @Test
  void protobufLogsOverTheHybridVsockUnixSocketArriveWithTheSocketsIdentity() throws Exception {
    HybridVsockEndpoint endpoint = new HybridVsockEndpoint(dir.resolve("fc.vsock"), 10240);
    start(endpoint);
    long pid =
        runNode("send-logs.mjs", "logs", "http://localhost/v1/logs", endpoint.unixSocketPath());
    List<LogRecordData> records = checkLogs();
    for (LogRecordData log : records) {
      Resource resource = log.getResource();
      assertEquals("hvsock", resource.getAttribute(TRANSPORT));
      assertNull(resource.getAttribute(ADDRESS), "the payload's claimed address is stripped");
      assertTrue(
          resource.getAttribute(SOCKET_PATH).startsWith(dir.resolve("fc.vsock").toString()),
          resource.getAttribute(SOCKET_PATH));
      if (resource.getAttribute(PID) != null) {
        assertEquals(pid, resource.getAttribute(PID), "the Node process is the peer");
      }
    }
  }

  /** Checks the exact log record set: every body, severity and trace context. */
  private List<LogRecordData> checkLogs() {
    List<LogRecordData> records = logs.getFinishedLogRecordItems();
    assertEquals(TRACES, records.size(), "log records received");
    Map<String, LogRecordData> byBody = new HashMap<>();
    for (LogRecordData log : records) {
      assertNull(byBody.put(log.getBodyValue().asString(), log), "one record " + log);
      assertEquals("node-guest", log.getResource().getAttribute(SERVICE));
    }
    for (int i = 0; i < TRACES; i++) {
      LogRecordData log = byBody.get("log-" + i);
      assertNotNull(log, "log record " + i);
      String hex = String.format("%02x", i);
      assertEquals("5b8efff798038103d269b633813fc6" + hex, log.getSpanContext().getTraceId());
      assertEquals("eee19b7ec3c1b1" + hex, log.getSpanContext().getSpanId());
      assertEquals(Severity.WARN, log.getSeverity());
      assertEquals((long) i, log.getAttributes().get(AttributeKey.longKey("iteration")));
    }
    return records;
  }

  private static void checkUnixIdentity(
      List<SpanData> spans, String transport, Path socketPath, long pid) {
    for (SpanData span : spans) {
      Resource resource = span.getResource();
      assertEquals(transport, resource.getAttribute(TRANSPORT));
      assertNull(resource.getAttribute(ADDRESS), "the payload's claimed address is stripped");
      assertNotNull(resource.getAttribute(SOCKET_PATH));
      assertTrue(
          resource.getAttribute(SOCKET_PATH).startsWith(socketPath.toString()),
          resource.getAttribute(SOCKET_PATH));
      if (resource.getAttribute(PID) != null) {
        // junixsocket's Unix channels (the ITs' setting) report the peer's process.
        assertEquals(pid, resource.getAttribute(PID), "the Node process is the peer");
      }
    }
  }

  /** Checks the exact span set: every root and child by name, each child under its root. */
  private List<SpanData> checkTraces(String format) {
    List<SpanData> spans = exported.getFinishedSpanItems();
    assertEquals(2 * TRACES, spans.size(), "spans received");
    Map<String, SpanData> byName = new HashMap<>();
    for (SpanData span : spans) {
      assertNull(byName.put(span.getName(), span), "one span named " + span.getName());
      assertEquals("node-guest", span.getResource().getAttribute(SERVICE));
    }
    for (int i = 0; i < TRACES; i++) {
      SpanData root = byName.get(format + "-root-" + i);
      SpanData child = byName.get(format + "-child-" + i);
      assertNotNull(root, "root " + i);
      assertNotNull(child, "child " + i);
      assertEquals(root.getTraceId(), child.getTraceId());
      assertEquals(root.getSpanId(), child.getParentSpanId());
      assertEquals(1, child.getEvents().size());
      assertEquals(
          (long) i,
          root.getAttributes().get(AttributeKey.longKey("iteration")),
          "attribute of root " + i);
    }
    return spans;
  }

  /** Runs send-traces.mjs to completion; returns its pid. */
  private long runNode(String format, String url, Path socket) throws Exception {
    return runNode("send-traces.mjs", format, url, socket);
  }

  /** Runs a Node script to completion; returns its pid. */
  private long runNode(String script, String format, String url, Path socket) throws Exception {
    Path modules = NODE_PROJECT.resolve("node_modules");
    if (!Files.isDirectory(modules)) {
      fail(
          "the OpenTelemetry JS packages are not installed in "
              + modules.toAbsolutePath()
              + ": run scripts/setup.sh (npm ci in transport-tests/src/test/node; needs Node.js 20+)");
    }
    List<String> command = new ArrayList<>(List.of(node(), script));
    if (script.equals("send-logs.mjs")) {
      command.addAll(List.of("--url", url, "--logs", Integer.toString(TRACES)));
    } else {
      command.addAll(
          List.of("--url", url, "--format", format, "--traces", Integer.toString(TRACES)));
    }
    if (socket != null) {
      command.addAll(List.of("--socket", socket.toString()));
    }
    Path log = dir.resolve("node-" + format + ".log");
    Process node =
        new ProcessBuilder(command)
            .directory(NODE_PROJECT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      if (!node.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
        fail("node did not finish within " + BOUND_SECONDS + " s:\n" + Peers.tail(log));
      }
      assertEquals(0, node.exitValue(), () -> "node failed:\n" + Peers.tail(log));
      return node.pid();
    } finally {
      Peers.stop(node);
    }
  }

  private static String node() throws InterruptedException {
    Process which;
    try {
      which = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(
          "node is not installed (NodeSdkInteropIT needs Node.js 20+ on the PATH): " + e, e);
    }
    String version;
    try {
      version = new String(which.getInputStream().readAllBytes()).trim();
    } catch (IOException e) {
      throw new AssertionError("cannot run node --version: " + e, e);
    }
    if (!which.waitFor(10, TimeUnit.SECONDS) || which.exitValue() != 0) {
      fail("node is not installed (NodeSdkInteropIT needs Node.js 20+ on the PATH)");
    }
    int major = Integer.parseInt(version.replaceAll("^v(\\d+).*$", "$1"));
    assertTrue(major >= 20, "NodeSdkInteropIT needs Node.js 20+, found " + version);
    return "node";
  }
}
