package dev.spantransport.vsock.guest.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.guest.FullBufferPolicy;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InflightWindowTest {

  private final InflightWindow window = new InflightWindow(4, 4096, FullBufferPolicy.DROP_NEWEST);
  private final ExporterMetrics metrics =
      new ExporterMetrics(MeterProvider::noop, window::spans, window::bytes);

  InflightWindowTest() {
    window.setMetrics(metrics);
  }

  private void put(int spans) {
    Batch batch = window.reserve(100, spans);
    assertNotNull(batch);
    window.publish(batch);
  }

  @Test
  void batchReservedAfterDropAllIsDroppedAtOnce() {
    put(2);
    assertEquals(2, window.dropAll());

    // an export that checked the shutdown flag just before dropAll() ran
    assertNull(window.reserve(100, 3));

    assertEquals(0, window.spans());
    assertEquals(0, window.batches());
    assertEquals(5, metrics.dropped(DropReason.SHUTDOWN));
  }

  @Test
  void flushStillWaitingWhenEverythingIsDroppedFails() {
    put(2);
    CompletableResultCode flush = window.flush(1, TimeUnit.HOURS);
    assertFalse(flush.isDone());

    window.dropAll();

    assertTrue(flush.isDone(), "flush must complete when its batches are dropped");
    assertFalse(flush.isSuccess(), "dropped spans were not acknowledged");
  }
}
