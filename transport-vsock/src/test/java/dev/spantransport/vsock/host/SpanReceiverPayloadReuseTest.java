package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.SteadyStream;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
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
    Path socket = dir.resolve("host.sock");
    SpanReceiver receiver =
        SteadyStream.startReceiver(
            socket,
            batch -> {
              synchronized (arrays) {
                arrays.add(batch.buffer());
              }
            });
    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
    try {
      List<SpanData> batch = SteadyStream.spans(200); // well past the receiver's 8 KiB read buffer
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
}
