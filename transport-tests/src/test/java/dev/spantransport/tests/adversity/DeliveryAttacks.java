package dev.spantransport.tests.adversity;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Sinks and exporters that attack effectively-once delivery: one slower than the guest's timeout,
 * one that goes down with every window full, one that refuses a poisoned batch for good. Each
 * counts what reached it by span index (the low half of the test trace id), so a redelivery shows
 * up as a span seen twice.
 */
public final class DeliveryAttacks {

  private DeliveryAttacks() {}

  /** Flushes until the guest's host acknowledged everything; false if not within the timeout. */
  public static boolean flushFully(VsockSpanExporter exporter, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      CompletableResultCode r = exporter.flush();
      r.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
      if (r.isSuccess()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Waits on {@code monitor}, whose lock the caller holds and whose changes notify it, until {@code
   * done} holds; false at the timeout.
   */
  static boolean awaitLocked(Object monitor, BooleanSupplier done, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      monitor.wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** The span index a test span carries in the low 64 bits of its trace id. */
  static long indexOf(SpanData span) {
    String traceId = span.getTraceId();
    return Long.parseUnsignedLong(traceId.substring(16), 16);
  }

  /** Counts deliveries per span index. Thread-safe. */
  public static final class Deliveries {
    private final Map<Long, Integer> seen = new HashMap<>();
    private long calls;
    private long spans;

    synchronized void record(Collection<SpanData> batch) {
      calls++;
      for (SpanData span : batch) {
        spans++;
        seen.merge(indexOf(span), 1, Integer::sum);
      }
      notifyAll();
    }

    /** Export calls that reached the exporter. */
    public synchronized long calls() {
      return calls;
    }

    /** Spans that reached the exporter, repeats included. */
    public synchronized long spans() {
      return spans;
    }

    /** Distinct span indices that reached the exporter. */
    public synchronized long distinct() {
      return seen.size();
    }

    /** Deliveries beyond the first of any span. */
    public synchronized long redelivered() {
      return spans - seen.size();
    }

    /** Waits until {@code n} distinct spans arrived; false at the timeout. */
    public synchronized boolean awaitDistinct(long n, Duration timeout)
        throws InterruptedException {
      return awaitLocked(this, () -> seen.size() >= n, timeout);
    }

    @Override
    public synchronized String toString() {
      return "Deliveries{calls="
          + calls
          + ", spans="
          + spans
          + ", distinct="
          + seen.size()
          + ", redelivered="
          + (spans - seen.size())
          + "}";
    }
  }

  /**
   * An exporter whose every export completes successfully only after a fixed latency, the way a
   * collector behind a congested link answers; spans count as delivered when it completes.
   */
  public static final class SlowExporter implements SpanExporter {
    public final Deliveries deliveries = new Deliveries();
    private final long latencyNanos;
    private final ScheduledExecutorService clock =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "slow-exporter");
              t.setDaemon(true);
              return t;
            });

    public SlowExporter(Duration latency) {
      this.latencyNanos = latency.toNanos();
    }

    private int exports;

    /** Waits until {@code n} export calls started; false at the timeout. */
    public synchronized boolean awaitExports(int n, Duration timeout) throws InterruptedException {
      return awaitLocked(this, () -> exports >= n, timeout);
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      synchronized (this) {
        exports++;
        notifyAll();
      }
      List<SpanData> copy = new ArrayList<>(spans);
      CompletableResultCode result = new CompletableResultCode();
      clock.schedule(
          () -> {
            deliveries.record(copy);
            result.succeed();
          },
          latencyNanos,
          TimeUnit.NANOSECONDS);
      return result;
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      clock.shutdown();
      return CompletableResultCode.ofSuccess();
    }
  }

  /** An exporter that refuses for good every batch holding a span of a given name. */
  public static final class PoisonRefusingExporter implements SpanExporter {
    public final Deliveries deliveries = new Deliveries();
    private final String poison;
    private long refusals;

    public PoisonRefusingExporter(String poison) {
      this.poison = poison;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      for (SpanData span : spans) {
        if (span.getName().equals(poison)) {
          synchronized (this) {
            refusals++;
          }
          return CompletableResultCode.ofExceptionalFailure(
              new BatchRejectedException("holds a span named " + poison));
        }
      }
      deliveries.record(spans);
      return CompletableResultCode.ofSuccess();
    }

    /** How many times a poisoned batch was refused. */
    public synchronized long refusals() {
      return refusals;
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /**
   * A sink in front of a collector that goes down: while down it holds every batch it is given, as
   * requests hanging on a dead collector do, and fails them all (retryable) when the outage ends.
   * While up it accepts at once and records each (session, sequence) once with its span count.
   */
  public static final class OutageSink implements SpanSink {
    private final List<CompletableResultCode> held = new ArrayList<>();
    private final Map<String, Integer> delivered = new HashMap<>();
    private boolean down;
    private long redeliveries;

    @Override
    public synchronized CompletableResultCode accept(SpanBatch batch) {
      if (down) {
        CompletableResultCode result = new CompletableResultCode();
        held.add(result);
        notifyAll();
        return result;
      }
      if (delivered.putIfAbsent(batch.sessionId() + ":" + batch.sequence(), batch.spanCount())
          != null) {
        redeliveries++;
      }
      notifyAll();
      return CompletableResultCode.ofSuccess();
    }

    /** The collector goes down. */
    public synchronized void goDown() {
      down = true;
    }

    /** The collector comes back: every batch held during the outage fails, to be resent. */
    public void comeBack() {
      List<CompletableResultCode> failing;
      synchronized (this) {
        down = false;
        failing = new ArrayList<>(held);
        held.clear();
      }
      for (CompletableResultCode r : failing) {
        r.fail();
      }
    }

    /** Waits until at least {@code n} batches are held by the outage; false at the timeout. */
    public synchronized boolean awaitHeld(int n, Duration timeout) throws InterruptedException {
      return awaitLocked(this, () -> held.size() >= n, timeout);
    }

    /** Waits until more than {@code n} distinct batches were delivered; false at the timeout. */
    public synchronized boolean awaitDeliveredBatchesAbove(int n, Duration timeout)
        throws InterruptedException {
      return awaitLocked(this, () -> delivered.size() > n, timeout);
    }

    public synchronized int deliveredBatches() {
      return delivered.size();
    }

    /** Spans of distinct (session, sequence) batches delivered. */
    public synchronized long deliveredSpans() {
      long n = 0;
      for (int spans : delivered.values()) {
        n += spans;
      }
      return n;
    }

    public synchronized long redeliveries() {
      return redeliveries;
    }

    @Override
    public CompletableResultCode shutdown() {
      comeBack();
      return CompletableResultCode.ofSuccess();
    }
  }

  /** A metric reader over an SDK meter provider, summing long counters by attribute. */
  public static final class Metrics implements AutoCloseable {
    private final InMemoryMetricReader reader = InMemoryMetricReader.create();
    public final SdkMeterProvider provider =
        SdkMeterProvider.builder().registerMetricReader(reader).build();

    /** Sums the points of {@code name} whose {@code reason} attribute is {@code reason}. */
    public long sum(String name, String reason) {
      long total = 0;
      for (MetricData m : reader.collectAllMetrics()) {
        if (!m.getName().equals(name) || m.getType() != MetricDataType.LONG_SUM) {
          continue;
        }
        for (LongPointData p : m.getLongSumData().getPoints()) {
          Attributes a = p.getAttributes();
          if (reason == null || reason.equals(a.get(AttributeKey.stringKey("reason")))) {
            total += p.getValue();
          }
        }
      }
      return total;
    }

    @Override
    public void close() {
      provider.close();
    }
  }
}
