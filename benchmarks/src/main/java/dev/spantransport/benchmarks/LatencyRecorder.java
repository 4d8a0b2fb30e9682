package dev.spantransport.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durations in nanoseconds recorded from any thread into a fixed array (no allocation per record),
 * with exact percentiles over what was kept. Records past the capacity are counted, not kept.
 */
final class LatencyRecorder {
  private final long[] samples;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong overflow = new AtomicLong();
  private volatile boolean on;

  LatencyRecorder(int capacity) {
    samples = new long[capacity];
  }

  /** Starts or stops keeping records (e.g. on only during measurement iterations). */
  void enable(boolean enabled) {
    on = enabled;
  }

  void record(long nanos) {
    if (!on) {
      return;
    }
    int i = next.getAndIncrement();
    if (i < samples.length) {
      samples[i] = nanos;
    } else {
      overflow.incrementAndGet();
    }
  }

  /** Records kept so far. */
  int count() {
    return Math.min(next.get(), samples.length);
  }

  /** Records not kept because the array was full. */
  long overflow() {
    return overflow.get();
  }

  /** Sorted copy of the records; call once the recording threads are quiet. */
  long[] sorted() {
    long[] copy = Arrays.copyOf(samples, count());
    Arrays.sort(copy);
    return copy;
  }

  /** The {@code q} quantile (0..1, nearest rank) of sorted values, or -1 if there are none. */
  static long quantile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** "n=…, p50 … ms, p99 … ms, max … ms". */
  String summary() {
    long[] s = sorted();
    return String.format(
        Locale.ROOT,
        "n=%d, p50 %.3f ms, p99 %.3f ms, max %.3f ms%s",
        s.length,
        quantile(s, 0.50) / 1e6,
        quantile(s, 0.99) / 1e6,
        (s.length == 0 ? -1 : s[s.length - 1]) / 1e6,
        overflow() == 0 ? "" : " (" + overflow() + " not kept)");
  }
}
