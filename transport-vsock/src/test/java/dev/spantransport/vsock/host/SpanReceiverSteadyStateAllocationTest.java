package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.SteadyStream;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Once warm, the receiver's loop thread reads, checks, dispatches and acknowledges a steady stream
 * of batches without allocating per batch. Measured with the JVM's per-thread allocation counter on
 * the receiver's own thread, so nothing else the test does is counted.
 */
class SpanReceiverSteadyStateAllocationTest {

  private static final int WARM_UP_BATCHES = 3_000;
  private static final int MEASURED_BATCHES = 2_000;

  /**
   * Per batch, in bytes. What is left, 48 bytes, is the immutable {@code SpanBatch} handed to the
   * sinks (the sink API's value object, one per batch, which a sink may keep). The receiver
   * allocated about 530 bytes per batch here before its session table kept primitive tables (a
   * boxed sequence, map and tree entries, a sub-map view per ACK), about 170 before it stopped
   * asking an already-completed sink result to call back (a list per callback) and about 120 before
   * it took ready keys from the selector through a callback (the JDK selector's selected-key set
   * entry, 32 bytes each time the connection became readable, and an iterator over the set, 40);
   * any one of those coming back takes it past this bound, as does any allocation in proportion to
   * the payload.
   */
  private static final long MAX_BYTES_PER_BATCH = 64;

  @TempDir Path dir;

  @Test
  void aWarmReceiverAllocatesAlmostNothingPerBatch() throws Exception {
    com.sun.management.ThreadMXBean threads = SteadyStream.allocationCounter();
    Path socket = dir.resolve("host.sock");
    SpanReceiver receiver = SteadyStream.startReceiver(socket, batch -> {});
    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
    try {
      List<SpanData> batch = SteadyStream.spans(20);
      send(exporter, batch, WARM_UP_BATCHES);
      long receiverThread = receiverThreadId();
      long before = threads.getThreadAllocatedBytes(receiverThread);
      send(exporter, batch, MEASURED_BATCHES);
      long after = threads.getThreadAllocatedBytes(receiverThread);
      long perBatch = (after - before) / MEASURED_BATCHES;
      assertTrue(
          perBatch <= MAX_BYTES_PER_BATCH,
          "receiver thread allocated "
              + (after - before)
              + " bytes for "
              + MEASURED_BATCHES
              + " batches: "
              + perBatch
              + " per batch");
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
      receiver.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  /** Sends {@code count} batches, each acked before the next is sent. */
  private static void send(VsockSpanExporter exporter, List<SpanData> batch, int count) {
    for (int i = 0; i < count; i++) {
      assertTrue(exporter.export(batch).join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess());
    }
  }

  private static long receiverThreadId() {
    long id = -1;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("span-receiver")) {
        assertTrue(id == -1, "more than one receiver thread");
        id = t.getId();
      }
    }
    assertTrue(id != -1, "no receiver thread");
    return id;
  }
}
