package dev.spantransport.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.PeerAttributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SpanExporterSinkTest {

  @Test
  void exportsDecodedSpansTaggedWithTheTransportIdentity() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SpanExporterSink sink = SpanExporterSink.create(exporter);
    byte[] payload = Payloads.spoofingRequest(3).toByteArray();

    CompletableResultCode result = sink.accept(Payloads.batch(payload, 3));

    assertTrue(result.join(5, TimeUnit.SECONDS).isSuccess());
    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertEquals(3, spans.size());
    for (SpanData span : spans) {
      var attributes = span.getResource().getAttributes();
      assertEquals(42L, attributes.get(PeerAttributes.CID), "the transport's CID, not 666");
      assertEquals(1024L, attributes.get(PeerAttributes.PORT));
      assertEquals("vsock", attributes.get(PeerAttributes.TRANSPORT));
      assertNull(attributes.get(PeerAttributes.SOCKET_PATH), "payload peer attributes removed");
      assertEquals("checkout", attributes.get(AttributeKey.stringKey("service.name")));
    }
    assertEquals("op-0", spans.get(0).getName());
  }

  @Test
  void malformedPayloadFailsWithoutReachingTheExporter() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SpanExporterSink sink = SpanExporterSink.create(exporter);

    CompletableResultCode result = sink.accept(Payloads.batch(new byte[] {0x0a, 0x7f}, 1));

    assertTrue(result.isDone());
    assertFalse(result.isSuccess());
    assertTrue(exporter.getFinishedSpanItems().isEmpty());
  }

  @Test
  void refusesBatchesAfterShutdown() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SpanExporterSink sink = SpanExporterSink.create(exporter);
    assertTrue(sink.shutdown().isSuccess());
    assertTrue(sink.shutdown().isSuccess(), "second shutdown succeeds");

    byte[] payload = Payloads.spoofingRequest(1).toByteArray();
    assertFalse(sink.accept(Payloads.batch(payload, 1)).isSuccess());
  }
}
