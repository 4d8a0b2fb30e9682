package dev.spantransport.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.Signal;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

class OtlpBatchTest {

  private static final byte[] BUFFER = {9, 1, 2, 3, 9};

  @Test
  void eachBatchTypeNamesItsSignalAndCountsItsItems() {
    SpanBatch spans = SpanBatch.of(Payloads.PEER, Payloads.IDENTITY, "ab", 3, 7, BUFFER, 1, 3);
    LogBatch logs = LogBatch.of(Payloads.PEER, Payloads.IDENTITY, "ab", 4, 8, BUFFER, 1, 3);
    MetricBatch metrics =
        MetricBatch.of(Payloads.PEER, Payloads.IDENTITY, "ab", 5, 9, BUFFER, 1, 3);
    assertEquals(Signal.TRACES, spans.signal());
    assertEquals(Signal.LOGS, logs.signal());
    assertEquals(Signal.METRICS, metrics.signal());
    assertEquals(7, spans.spanCount());
    assertEquals(8, logs.logRecordCount());
    assertEquals(9, metrics.dataPointCount());
    assertEquals(9, metrics.itemCount());
    assertEquals(4, logs.sequence());
    assertEquals(Payloads.IDENTITY, metrics.identity());
    assertTrue(logs.toString().contains("log_records=8"), logs.toString());
  }

  @Test
  void copyPayloadReturnsOnlyTheViewedBytes() {
    LogBatch logs = LogBatch.of(Payloads.PEER, Payloads.IDENTITY, "", 1, 1, BUFFER, 1, 3);
    byte[] copy = logs.copyPayload();
    assertArrayEquals(new byte[] {1, 2, 3}, copy);
    assertNotSame(BUFFER, copy);
  }

  @Test
  void rejectsAPayloadOutsideItsBufferAndNegativeCounts() {
    assertThrows(
        IndexOutOfBoundsException.class,
        () -> MetricBatch.of(Payloads.PEER, Payloads.IDENTITY, "", 1, 1, BUFFER, 3, 3));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LogBatch.of(Payloads.PEER, Payloads.IDENTITY, "", 1, -1, BUFFER, 0, 1));
    assertEquals("item count must not be negative: -1", e.getMessage());
    assertThrows(
        NullPointerException.class,
        () -> SpanBatch.of(null, Payloads.IDENTITY, "", 1, 1, BUFFER, 0, 1));
  }

  @Test
  void batchesHaveNoPublicMutator() {
    for (Class<?> type : new Class<?>[] {OtlpBatch.class, SpanBatch.class, LogBatch.class}) {
      for (Method m : type.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())) {
          assertEquals(0, m.getParameterCount(), type.getSimpleName() + "." + m.getName());
        }
      }
    }
  }
}
