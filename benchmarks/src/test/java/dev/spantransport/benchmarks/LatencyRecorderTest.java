package dev.spantransport.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

  @Test
  void quantilesAreNearestRankOverEveryKeptRecord() {
    LatencyRecorder recorder = new LatencyRecorder(1000);
    recorder.enable(true);
    for (long v = 100; v >= 1; v--) {
      recorder.record(v);
    }
    long[] sorted = recorder.sorted();
    assertEquals(100, sorted.length);
    assertEquals(50, LatencyRecorder.quantile(sorted, 0.50));
    assertEquals(99, LatencyRecorder.quantile(sorted, 0.99));
    assertEquals(100, LatencyRecorder.quantile(sorted, 1.0));
    assertEquals(1, LatencyRecorder.quantile(sorted, 0.0));
  }

  @Test
  void recordsWhileDisabledAreNotKept() {
    LatencyRecorder recorder = new LatencyRecorder(10);
    recorder.record(7);
    recorder.enable(true);
    recorder.record(3);
    recorder.enable(false);
    recorder.record(9);
    assertArrayEquals(new long[] {3}, recorder.sorted());
  }

  @Test
  void recordsPastCapacityAreCountedNotKept() {
    LatencyRecorder recorder = new LatencyRecorder(3);
    recorder.enable(true);
    for (int i = 0; i < 5; i++) {
      recorder.record(i);
    }
    assertEquals(3, recorder.count());
    assertEquals(2, recorder.overflow());
    assertArrayEquals(new long[] {0, 1, 2}, recorder.sorted());
  }

  @Test
  void noRecordsGiveMinusOne() {
    assertEquals(-1, LatencyRecorder.quantile(new long[0], 0.5));
  }
}
