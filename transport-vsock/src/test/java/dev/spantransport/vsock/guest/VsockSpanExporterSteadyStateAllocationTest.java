package dev.spantransport.vsock.guest;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.SteadyStream;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Once warm, the guest side allocates nothing per batch: {@link VsockSpanExporter#export} encodes
 * and frames into reused window slots, and the exporter's I/O thread writes frames and reads ACKs
 * without a selected-key set entry per wakeup. Measured with the JVM's per-thread allocation
 * counter: around each {@code export} call on a thread of the test's own (so the test's waits for
 * acknowledgements are not counted), and on the exporter's I/O thread over the whole measured run.
 * Up to seven batches are unacknowledged at a time, as under a busy application.
 */
class VsockSpanExporterSteadyStateAllocationTest {

  /** Enough calls for the JIT to compile {@code export} and what it calls at its top tier. */
  private static final int WARM_UP_BATCHES = 12_000;

  private static final int MEASURED_BATCHES = 4_000;

  /** Batches exported and not yet acknowledged, at most; the host's window is eight. */
  private static final int IN_FLIGHT = 7;

  /**
   * Per batch and thread, in bytes, over all measured batches. The smallest object the JVM
   * allocates takes 16 bytes, so one object per batch fails this (a new window slot per batch takes
   * 40 to 64 bytes; the JDK selector's selected-key set entry, which the I/O thread allocated per
   * wakeup before it selected with a callback, 32), while a rare allocation averaged over thousands
   * of batches (a buffer growing once, a timer's frame) does not.
   */
  private static final long MAX_BYTES_PER_BATCH = 8;

  @TempDir Path dir;

  @Test
  void aWarmExporterAllocatesNothingPerBatchOnTheExportingOrTheIoThread() throws Exception {
    com.sun.management.ThreadMXBean threads = SteadyStream.allocationCounter();
    AtomicLong received = new AtomicLong();
    Path socket = dir.resolve("host.sock");
    SpanReceiver receiver =
        SteadyStream.startReceiver(socket, batch -> received.addAndGet(batch.spanCount()));
    VsockSpanExporter exporter = VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
    try {
      List<SpanData> batch = SteadyStream.spans(20);
      long ioThread = exporter.sender().thread().getId();
      AtomicLong inExport = new AtomicLong();
      AtomicLong onIoThread = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread exporting =
          new Thread(
              () -> {
                try {
                  export(exporter, batch, WARM_UP_BATCHES, threads);
                  long io0 = threads.getThreadAllocatedBytes(ioThread);
                  inExport.set(export(exporter, batch, MEASURED_BATCHES, threads));
                  onIoThread.set(threads.getThreadAllocatedBytes(ioThread) - io0);
                } catch (Throwable t) {
                  failure.set(t);
                }
              },
              "allocation-test-exporting");
      exporting.start();
      exporting.join(TimeUnit.MINUTES.toMillis(2));
      assertFalse(exporting.isAlive(), "the exporting thread did not finish in time");
      if (failure.get() != null) {
        throw new AssertionError("the exporting thread failed", failure.get());
      }
      assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess());
      assertEquals(
          (long) (WARM_UP_BATCHES + MEASURED_BATCHES) * batch.size(),
          received.get(),
          "every span reached the sink");
      assertAll(
          () -> assertWithinBound("the exporting thread, inside export(),", inExport.get()),
          () -> assertWithinBound("the exporter's I/O thread", onIoThread.get()));
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
      receiver.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  private static void assertWithinBound(String where, long bytes) {
    long perBatch = bytes / MEASURED_BATCHES;
    assertTrue(
        perBatch <= MAX_BYTES_PER_BATCH,
        where
            + " allocated "
            + bytes
            + " bytes for "
            + MEASURED_BATCHES
            + " batches: "
            + perBatch
            + " per batch");
  }

  /**
   * Exports {@code count} batches, each once fewer than {@value #IN_FLIGHT} are unacknowledged, and
   * returns the bytes the calling thread allocated inside {@code export} alone.
   */
  private static long export(
      VsockSpanExporter exporter,
      List<SpanData> batch,
      int count,
      com.sun.management.ThreadMXBean threads) {
    long self = Thread.currentThread().getId();
    long inExport = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    for (int i = 0; i < count; i++) {
      long allowedUnacked = (IN_FLIGHT - 1L) * batch.size();
      while (exporter.metrics().exported() - exporter.metrics().acked() > allowedUnacked) {
        assertTrue(System.nanoTime() - deadline < 0, "the host stopped acknowledging");
        LockSupport.parkNanos(20_000);
      }
      long before = threads.getThreadAllocatedBytes(self);
      CompletableResultCode result = exporter.export(batch);
      inExport += threads.getThreadAllocatedBytes(self) - before;
      assertTrue(result.isSuccess(), "export " + i + " failed");
    }
    return inExport;
  }
}
