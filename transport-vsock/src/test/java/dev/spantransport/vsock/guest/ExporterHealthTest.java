package dev.spantransport.vsock.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.guest.internal.ChannelOpener;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.vsock.guest.internal.Sender;
import dev.spantransport.wire.FrameWriter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter is never silent: its {@link ExporterState} follows what happens to the host (none,
 * appearing, too slow, gone), each change is logged once however often it retries, the state is a
 * metric, and start-up can be made to fail fast when no host answers.
 */
class ExporterHealthTest {

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicInteger connectAttempts = new AtomicInteger();
  private final List<LogRecord> logs = new CopyOnWriteArrayList<>();
  private final Logger senderLogger = Logger.getLogger(Sender.class.getName());
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logs.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLogs() {
    senderLogger.addHandler(capture);
  }

  @AfterEach
  void tearDown() throws Exception {
    senderLogger.removeHandler(capture);
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private Path socket() {
    return dir.resolve("host.sock");
  }

  private ChannelOpener opener() {
    return timeout -> {
      connectAttempts.incrementAndGet();
      return SocketChannel.open(UnixDomainSocketAddress.of(socket()));
    };
  }

  private VsockSpanExporterBuilder builder() {
    return VsockSpanExporter.builder()
        .setChannelOpener(opener())
        .setReconnectInitialBackoff(Duration.ofMillis(10))
        .setReconnectMaxBackoff(Duration.ofMillis(20))
        .setTimeout(Duration.ofSeconds(30));
  }

  private VsockSpanExporter exporter(VsockSpanExporterBuilder builder) {
    VsockSpanExporter exporter = builder.build();
    closeables.add(() -> exporter.shutdown());
    return exporter;
  }

  private FakeHost host() throws IOException {
    FakeHost host = new FakeHost(socket());
    closeables.add(host);
    return host;
  }

  /** Polls the state (bounded); the assertion is on the state reached, not on how fast. */
  private static void awaitState(VsockSpanExporter exporter, ExporterState expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (exporter.state() != expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(expected, exporter.state());
  }

  private void awaitAttempts(int attempts) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (connectAttempts.get() < attempts && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(connectAttempts.get() >= attempts, "attempts: " + connectAttempts.get());
  }

  private String describe() {
    return logs.stream()
        .map(r -> r.getLevel() + " " + r.getMessage())
        .collect(Collectors.joining("\n", "\n", ""));
  }

  /**
   * The messages logged at {@code level} containing {@code containing}, once there is at least one
   * (bounded wait): a transition's line is logged just after its state becomes visible.
   */
  private List<String> messages(Level level, String containing) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<String> found =
          logs.stream()
              .filter(r -> r.getLevel() == level && r.getMessage().contains(containing))
              .map(LogRecord::getMessage)
              .collect(Collectors.toList());
      if (!found.isEmpty() || System.nanoTime() > deadline) {
        return found;
      }
      Thread.sleep(5); // polling, not an assertion
    }
  }

  @Test
  void noHostIsReportedOnceHoweverOftenItRetriesThenConnectedWhenTheHostAppears() throws Exception {
    VsockSpanExporter exporter = exporter(builder());

    awaitState(exporter, ExporterState.NO_HOST);
    awaitAttempts(20);
    assertEquals(1, messages(Level.WARNING, "not reachable").size(), describe());

    host();
    awaitState(exporter, ExporterState.CONNECTED);
    assertEquals(1, messages(Level.INFO, "reachable again").size(), describe());
    assertEquals(1, messages(Level.WARNING, "not reachable").size(), describe());
  }

  @Test
  void lostConnectionIsConnectingThenNoHostThenConnectedEachLoggedOnce() throws Exception {
    FakeHost host = host();
    VsockSpanExporter exporter = exporter(builder());
    awaitState(exporter, ExporterState.CONNECTED);

    host.close();
    awaitState(exporter, ExporterState.NO_HOST);
    int attempts = connectAttempts.get();
    awaitAttempts(attempts + 20);
    assertEquals(1, messages(Level.WARNING, "lost its connection").size(), describe());
    assertEquals(1, messages(Level.WARNING, "not reachable").size(), describe());

    host();
    awaitState(exporter, ExporterState.CONNECTED);
    assertEquals(1, messages(Level.INFO, "reachable again").size(), describe());
  }

  @Test
  void fullWindowIsBackpressuredUntilTheHostAcknowledges() throws Exception {
    FakeHost host = host();
    host.ack = false;
    VsockSpanExporter exporter = exporter(builder().setMaxInflightBatches(2));
    awaitState(exporter, ExporterState.CONNECTED);

    assertTrue(exporter.export(VsockSpanExporterTest.spans("a", 1)).isSuccess());
    assertTrue(exporter.export(VsockSpanExporterTest.spans("b", 1)).isSuccess());
    host.take();
    host.take();
    assertFalse(exporter.export(VsockSpanExporterTest.spans("c", 1)).isSuccess());
    awaitState(exporter, ExporterState.BACKPRESSURED);
    assertEquals(1, messages(Level.WARNING, "window is full").size(), describe());

    byte[] ack = new byte[64];
    host.send(ack, FrameWriter.writeAck(ack, 0, 2));
    awaitState(exporter, ExporterState.CONNECTED);
    assertEquals(1, messages(Level.INFO, "keeping up again").size(), describe());
    assertEquals(2, exporter.metrics().acked());
    assertEquals(1, exporter.metrics().dropped(DropReason.BUFFER_FULL));
  }

  @Test
  void shutDownIsFinal() throws Exception {
    FakeHost host = host();
    VsockSpanExporter exporter = exporter(builder());
    awaitState(exporter, ExporterState.CONNECTED);

    assertTrue(exporter.shutdown().join(30, TimeUnit.SECONDS).isSuccess());
    assertEquals(ExporterState.SHUT_DOWN, exporter.state());
    host.close();
    assertEquals(ExporterState.SHUT_DOWN, exporter.state());
  }

  @Test
  void requireHostFailsStartUpWhenNoHostAnswersWithinTheConnectTimeout() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                builder()
                    .setRequireHost(true)
                    .setConnectTimeout(Duration.ofMillis(300))
                    .setEndpoint("unix:" + socket())
                    .build());
    assertTrue(e.getMessage().contains("no span-transport host answered"), e.getMessage());
    assertTrue(e.getMessage().contains(socket().toString()), e.getMessage());
  }

  @Test
  void requireHostStartsConnectedWhenAHostAnswers() throws Exception {
    host();
    VsockSpanExporter exporter = exporter(builder().setRequireHost(true));
    assertTrue(
        exporter.state() == ExporterState.CONNECTED
            || exporter.state() == ExporterState.BACKPRESSURED,
        exporter.state().toString());
  }

  @Test
  void disabledExporterOpensNoSocketAndCountsEveryDroppedSpan() throws Exception {
    host();
    VsockSpanExporter exporter = exporter(builder().setEnabled(false));

    assertTrue(exporter.export(VsockSpanExporterTest.spans("a", 3)).isSuccess());
    assertTrue(exporter.export(VsockSpanExporterTest.spans("b", 4)).isSuccess());
    assertTrue(exporter.flush().isSuccess());

    assertEquals(ExporterState.DISABLED, exporter.state());
    assertEquals(7, exporter.metrics().dropped(DropReason.DISABLED));
    assertEquals(0, exporter.metrics().exported());
    assertEquals(0, connectAttempts.get());
    assertTrue(exporter.shutdown().isSuccess());
  }

  @Test
  void stateIsRecordedAsAMetric() throws Exception {
    host();
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(reader).build();
    closeables.add(meters::close);
    VsockSpanExporter exporter = exporter(builder().setMeterProvider(meters));
    awaitState(exporter, ExporterState.CONNECTED);

    MetricData state =
        reader.collectAllMetrics().stream()
            .filter(m -> m.getName().equals("spantransport.exporter.state"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(reader.collectAllMetrics().toString()));
    Map<String, Long> values =
        state.getLongGaugeData().getPoints().stream()
            .collect(
                Collectors.toMap(
                    p -> p.getAttributes().get(AttributeKey.stringKey("state")),
                    LongPointData::getValue));
    assertEquals(1L, values.get("connected"), values.toString());
    assertEquals(0L, values.get("no_host"), values.toString());
    assertEquals(ExporterState.values().length, values.size(), values.toString());
  }

  @Test
  void autoconfigureRequireHostFailsWithAConfigurationException() {
    Map<String, String> properties =
        Map.of(
            "otel.exporter.vsock.endpoint", "unix:" + socket(),
            "otel.exporter.vsock.connect.timeout", "300ms",
            "otel.exporter.vsock.require.host", "true");
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                new VsockSpanExporterProvider()
                    .createExporter(DefaultConfigProperties.createFromMap(properties)));
    assertTrue(e.getMessage().contains("require.host"), e.getMessage());
  }

  @Test
  void autoconfigureEnabledFalseBuildsADisabledExporter() {
    SpanExporter exporter =
        new VsockSpanExporterProvider()
            .createExporter(
                DefaultConfigProperties.createFromMap(
                    Map.of(
                        "otel.exporter.vsock.endpoint",
                        "unix:" + socket(),
                        "otel.exporter.vsock.enabled",
                        "false")));
    closeables.add(() -> exporter.shutdown());
    assertEquals(ExporterState.DISABLED, ((VsockSpanExporter) exporter).state());
  }
}
