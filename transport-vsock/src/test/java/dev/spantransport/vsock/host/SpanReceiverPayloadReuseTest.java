package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiver's copy of a guest's payload is reused from batch to batch, not allocated anew. */
class SpanReceiverPayloadReuseTest {

  @TempDir Path dir;

  @Test
  void aSteadyStreamOfLargeBatchesReusesOnePayloadArray() throws Exception {
    List<byte[]> arrays = new ArrayList<>();
    SpanSink recording =
        new SpanSink() {
          @Override
          public CompletableResultCode accept(SpanBatch batch) {
            synchronized (arrays) {
              arrays.add(batch.buffer());
            }
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    Path socket = dir.resolve("host.sock");
    SpanReceiver receiver =
        SpanReceiver.builder().addEndpoint("unix:" + socket).addSink(recording).build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess());
    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
    try {
      List<SpanData> batch = spans(200); // well past the receiver's 8 KiB read buffer
      assertEquals(200, batch.size());
      int batches = 20;
      for (int i = 0; i < batches; i++) {
        assertTrue(exporter.export(batch).join(10, TimeUnit.SECONDS).isSuccess());
        // one batch at a time: each is acked (and its sink done) before the next is sent
        assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess());
      }
      synchronized (arrays) {
        assertEquals(batches, arrays.size());
        Set<byte[]> unique = Collections.newSetFromMap(new IdentityHashMap<>());
        unique.addAll(arrays);
        int distinct = unique.size();
        // the first batch grows the read buffer and allocates; after that one array serves
        assertTrue(
            distinct <= 2, distinct + " distinct payload arrays for " + batches + " batches");
      }
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
      receiver.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  private static List<SpanData> spans(int count) {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    SdkTracerProvider provider =
        SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(memory)).build();
    Tracer tracer = provider.get("reuse");
    for (int i = 0; i < count; i++) {
      tracer
          .spanBuilder("GET /api/items/" + i)
          .setAttribute("url.full", "https://shop.example.com/api/items/" + i + "?page=" + i)
          .setAttribute("http.response.status_code", 200L)
          .startSpan()
          .end();
    }
    List<SpanData> spans = memory.getFinishedSpanItems(); // before close, which clears them
    provider.close();
    return spans;
  }
}
