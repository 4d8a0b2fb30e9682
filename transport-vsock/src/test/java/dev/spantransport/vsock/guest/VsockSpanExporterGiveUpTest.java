package dev.spantransport.vsock.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.FrameWriter;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the exporter stops resending a batch: the host's sink refused it for good (BATCH_REJECTED),
 * or it refused it (SINK_UNAVAILABLE) more often than allowed; never because connections were lost.
 */
class VsockSpanExporterGiveUpTest {

  @TempDir Path dir;
  private FakeHost host;
  private VsockSpanExporter exporter;

  @AfterEach
  void tearDown() throws Exception {
    if (exporter != null) {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (host != null) {
      host.close();
    }
  }

  private VsockSpanExporterBuilder builder() {
    Path socket = dir.resolve("host.sock");
    return VsockSpanExporter.builder()
        .setChannelOpener(timeout -> SocketChannel.open(UnixDomainSocketAddress.of(socket)))
        .setReconnectInitialBackoff(Duration.ofMillis(10))
        .setReconnectMaxBackoff(Duration.ofMillis(50))
        .setTimeout(Duration.ofSeconds(10));
  }

  @Test
  void batchASinkRefusedForGoodIsDroppedOnceAsSinkRejected() throws Exception {
    host = new FakeHost(dir.resolve("host.sock"));
    host.ack = false;
    exporter = builder().build();
    exporter.export(VsockSpanExporterTest.spans("poison", 2));
    exporter.export(VsockSpanExporterTest.spans("good", 1));
    assertEquals(1, host.take().sequence());
    assertEquals(2, host.take().sequence());
    byte[] frame = new byte[256];

    host.send(
        frame, FrameWriter.writeError(frame, 0, 1, ErrorCode.BATCH_REJECTED, false, "HTTP 400"));
    host.send(frame, FrameWriter.writeAck(frame, 0, 2));

    assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess(), "flush");
    assertEquals(2, exporter.metrics().dropped(DropReason.SINK_REJECTED));
    assertEquals(2, exporter.metrics().droppedTotal());
    assertEquals(1, exporter.metrics().acked());
    assertEquals(0, exporter.metrics().resent());
    assertEquals(1, host.connections.get(), "a non-fatal refusal keeps the connection");
  }

  @Test
  void batchTheHostKeepsRefusingIsGivenUpAfterTheMaximumRefusalsAndCounted() throws Exception {
    host = new FakeHost(dir.resolve("host.sock"));
    host.ack = false;
    exporter = builder().setMaxRefusals(2).build();
    exporter.export(VsockSpanExporterTest.spans("stuck", 3));
    byte[] frame = new byte[256];
    for (int send = 1; send <= 3; send++) {
      FakeHost.Spans spans = host.take();
      assertEquals(1, spans.sequence());
      assertEquals(send, spans.connection(), "sent once per connection");
      host.send(
          frame,
          FrameWriter.writeError(frame, 0, 1, ErrorCode.SINK_UNAVAILABLE, false, "collector down"));
    }

    assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess(), "flush");
    assertEquals(3, exporter.metrics().dropped(DropReason.REFUSAL_LIMIT));
    assertEquals(6, exporter.metrics().resent(), "two resends of three spans");
    assertEquals(0, host.received.size(), "no fourth send");
  }

  @Test
  void lostConnectionsAreNotRefusalsAndNeverMakeTheExporterGiveUp() throws Exception {
    host = new FakeHost(dir.resolve("host.sock"));
    host.ack = false;
    exporter = builder().setMaxRefusals(1).build();
    exporter.export(VsockSpanExporterTest.spans("kept", 2));
    for (int send = 1; send <= 10; send++) {
      assertEquals(1, host.take().sequence());
      host.dropConnection(); // a reset, a freeze, a host restart: not the host saying no
    }
    host.ack = true;

    assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess(), "flush");
    assertEquals(2, exporter.metrics().acked());
    assertEquals(0, exporter.metrics().droppedTotal());
  }

  @Test
  void maxRefusalsOutsideItsRangeIsRejectedNamingTheValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> builder().setMaxRefusals(-1));
    assertEquals("maxRefusals must be between 0 and 1000000: -1", e.getMessage());
    assertTrue(builder().setMaxRefusals(0).toString().contains("maxRefusals=0"));
  }

  @Test
  void maxRefusalsPropertyConfiguresTheExporterAndABadValueNamesTheProperty() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                new VsockSpanExporterProvider()
                    .createExporter(
                        DefaultConfigProperties.createFromMap(
                            Map.of("otel.exporter.vsock.max.refusals", "-3"))));
    assertTrue(e.getMessage().contains("otel.exporter.vsock.max.refusals"), e.getMessage());
  }
}
