package dev.spantransport.vsock.guest.internal;

import dev.spantransport.text.RateLimitedLogger;
import dev.spantransport.vsock.guest.FullBufferPolicy;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.wire.Capabilities;
import dev.spantransport.wire.FrameType;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bounded set of batches handed to the exporter and not yet acknowledged, in sequence order. At
 * most {@code maxBatches} batches and {@code maxBytes} frame bytes are held; a batch that does not
 * fit is dropped (newest) or makes room by evicting the oldest, per the policy, and is counted.
 *
 * <p>Thread-safe: exporting threads reserve and publish, the sender thread reads, retires and
 * rejects; every method holds the window's monitor briefly and never does I/O.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class InflightWindow {

  private static final RateLimitedLogger notNegotiated =
      new RateLimitedLogger(Logger.getLogger(InflightWindow.class.getName()), 5, 60_000);

  private final int maxBatches;
  private final long maxBytes;
  private final FullBufferPolicy policy;
  private ExporterMetrics metrics;
  private int maxRefusals = Integer.MAX_VALUE;

  // ring of batches in sequence order: ring[(head + i) % ring.length], i < size
  private final Batch[] ring;
  private int head;
  private int size;
  private final ArrayDeque<Batch> free = new ArrayDeque<>();
  private long bytesInWindow;
  private long spansInWindow;
  private long retainedCapacity;
  private long nextSequence = 1;
  private boolean closed;
  private boolean overflowed; // a batch found the window full since the host last retired one
  private final List<Flush> flushes = new ArrayList<>();

  private static final class Flush {
    final long target;
    final long deadlineNanos;
    final long timeoutNanos;
    final CompletableResultCode result;

    Flush(long target, long deadlineNanos, long timeoutNanos, CompletableResultCode result) {
      this.target = target;
      this.deadlineNanos = deadlineNanos;
      this.timeoutNanos = timeoutNanos;
      this.result = result;
    }
  }

  /** Creates an empty window. */
  public InflightWindow(int maxBatches, long maxBytes, FullBufferPolicy policy) {
    this.maxBatches = maxBatches;
    this.maxBytes = maxBytes;
    this.policy = policy;
    this.ring = new Batch[maxBatches];
  }

  /** Sets the metrics this window reports to; called once, before use. */
  public void setMetrics(ExporterMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Sets how many times the host may refuse a batch before it is given up (dropped, counted as
   * {@code refusal_limit}); called once, before use.
   */
  public synchronized void setMaxRefusals(int maxRefusals) {
    this.maxRefusals = maxRefusals;
  }

  /**
   * Records that the host refused batch {@code sequence} (SINK_UNAVAILABLE); past the limit the
   * batch is dropped and counted, and its sequence stays unused.
   */
  synchronized void refused(long sequence) {
    int i = indexOf(sequence);
    if (i < 0) {
      return;
    }
    Batch batch = ring[(head + i) % ring.length];
    if (++batch.refusals > maxRefusals && !batch.writing) {
      removeAt(i);
      m(batch).dropped(DropReason.REFUSAL_LIMIT, batch.spanCount);
      completeFlushes();
    }
  }

  private ExporterMetrics m(Batch batch) {
    return batch.owner != null ? batch.owner : metrics;
  }

  /** Returns the largest frame the window can hold. */
  public long maxBytes() {
    return maxBytes;
  }

  // ---- exporting threads ----

  /**
   * Reserves a slot for a frame of {@code frameLength} bytes holding {@code spanCount} spans,
   * assigns it the next sequence and returns it with a buffer of at least that length, or returns
   * null if the policy dropped the batch (counted). The caller writes the frame, then calls {@link
   * #publish} or {@link #abandon}.
   */
  synchronized Batch reserve(int frameLength, int spanCount) {
    return reserve(frameLength, spanCount, null, FrameType.SPANS);
  }

  /**
   * Reserves a slot as {@link #reserve(int, int)} does for a batch frame of {@code frameType}
   * holding {@code count} items, counted in {@code owner} (null: this window's span metrics).
   */
  synchronized Batch reserve(int frameLength, int count, ExporterMetrics owner, int frameType) {
    int spanCount = count;
    ExporterMetrics metrics = owner != null ? owner : this.metrics;
    if (closed) {
      // an export that passed the exporter's shutdown check just before dropAll(): nobody would
      // ever send or drop this batch, so it is dropped now
      metrics.dropped(DropReason.SHUTDOWN, spanCount);
      return null;
    }
    if (size == maxBatches || bytesInWindow + frameLength > maxBytes) {
      overflowed = true;
      if (policy == FullBufferPolicy.DROP_NEWEST) {
        metrics.dropped(DropReason.BUFFER_FULL, spanCount);
        return null;
      }
      while (size > 0 && (size == maxBatches || bytesInWindow + frameLength > maxBytes)) {
        Batch oldest = ring[head];
        if (!oldest.ready) {
          break; // only an unpublished reservation; cannot happen under the encode lock
        }
        removeAt(0);
        m(oldest).dropped(DropReason.BUFFER_FULL, oldest.spanCount);
        completeFlushes();
      }
      if (size == maxBatches || bytesInWindow + frameLength > maxBytes) {
        metrics.dropped(DropReason.BUFFER_FULL, spanCount);
        return null;
      }
    }
    Batch batch = free.pollFirst();
    if (batch == null) {
      batch = new Batch();
    }
    retainedCapacity -= batch.buffer.length;
    batch.ensureCapacity(frameLength);
    retainedCapacity += batch.buffer.length;
    batch.sequence = nextSequence++;
    batch.spanCount = spanCount;
    batch.owner = owner;
    batch.frameType = frameType;
    batch.frameLength = frameLength;
    batch.ready = false;
    batch.rejected = false;
    batch.rejectReason = null;
    batch.writing = false;
    batch.sends = 0;
    batch.refusals = 0;
    batch.inWindow = true;
    ring[(head + size) % ring.length] = batch;
    size++;
    bytesInWindow += frameLength;
    spansInWindow += spanCount;
    return batch;
  }

  /** Makes a reserved batch visible to the sender. */
  synchronized void publish(Batch batch) {
    batch.ready = true;
  }

  /** Takes back a reserved batch whose encoding failed. */
  synchronized void abandon(Batch batch) {
    int i = indexOf(batch.sequence);
    if (i >= 0) {
      removeAt(i);
      completeFlushes();
    }
  }

  /**
   * Registers a flush of everything reserved so far and returns its result, completed now if the
   * window already retired all of it.
   */
  public synchronized CompletableResultCode flush(long timeout, TimeUnit unit) {
    CompletableResultCode result = new CompletableResultCode();
    long target = nextSequence - 1;
    if (retiredThrough(target)) {
      return result.succeed();
    }
    long timeoutNanos = unit.toNanos(timeout);
    flushes.add(new Flush(target, System.nanoTime() + timeoutNanos, timeoutNanos, result));
    return result;
  }

  // ---- sender thread ----

  /**
   * Returns the first published batch with a sequence above {@code lastSent}, marked as being
   * written, or null. Batches larger than {@code maxPayload} or with more spans than {@code
   * maxSpans}, and batches refused more often than allowed, are dropped on the way (counted).
   */
  synchronized Batch nextAfter(long lastSent, int maxPayload, int maxSpans) {
    return nextAfter(lastSent, maxPayload, maxSpans, ~0L, "");
  }

  /**
   * As {@link #nextAfter(long, int, int)}; LOGS and METRICS batches whose capability is not in
   * {@code capabilities} (the host did not accept it) are dropped on the way too, counted as {@code
   * not_negotiated} and logged (throttled) naming {@code host}.
   */
  synchronized Batch nextAfter(
      long lastSent, int maxPayload, int maxSpans, long capabilities, String host) {
    while (true) {
      int i = firstAbove(lastSent);
      if (i >= size) {
        return null;
      }
      Batch batch = ring[(head + i) % ring.length];
      if (!batch.ready) {
        return null;
      }
      if (batch.frameLength - dev.spantransport.wire.FrameDescriptor.HEADER_LENGTH > maxPayload
          || batch.spanCount > maxSpans) {
        removeAt(i);
        m(batch).dropped(DropReason.TOO_LARGE, batch.spanCount);
        completeFlushes();
        continue;
      }
      if (batch.frameType != FrameType.SPANS
          && !Capabilities.allows(capabilities, FrameType.signal(batch.frameType))) {
        ExporterMetrics owner = m(batch);
        int items = batch.spanCount;
        String what = FrameType.signal(batch.frameType).itemName();
        removeAt(i);
        owner.dropped(DropReason.NOT_NEGOTIATED, items);
        notNegotiated.log(
            Level.WARNING,
            "span-transport host at "
                + host
                + " does not take "
                + what
                + " (it did not accept the "
                + FrameType.name(batch.frameType)
                + " capability: an older or "
                + "span-only receiver); dropped "
                + items
                + " "
                + what);
        completeFlushes();
        continue;
      }
      if (batch.refusals > maxRefusals) {
        removeAt(i);
        m(batch).dropped(DropReason.REFUSAL_LIMIT, batch.spanCount);
        completeFlushes();
        continue;
      }
      batch.writing = true;
      batch.sends++;
      return batch;
    }
  }

  /** Returns whether a published batch with a sequence above {@code lastSent} is waiting. */
  synchronized boolean hasReadyAfter(long lastSent) {
    int i = firstAbove(lastSent);
    return i < size && ring[(head + i) % ring.length].ready;
  }

  /** Ends the sender's use of a batch it got from {@link #nextAfter}. */
  synchronized void doneWriting(Batch batch) {
    batch.writing = false;
    if (!batch.inWindow) {
      recycle(batch);
    }
  }

  /** Retires every batch with a sequence up to {@code sequence}: acked, or dropped if rejected. */
  synchronized void retireThrough(long sequence) {
    boolean any = false;
    while (size > 0 && ring[head].sequence <= sequence && ring[head].ready) {
      Batch batch = ring[head];
      if (batch.rejected) {
        m(batch).dropped(batch.rejectReason, batch.spanCount);
      } else {
        m(batch).acked(batch.spanCount);
      }
      removeAt(0);
      any = true;
    }
    if (any) {
      overflowed = false;
      completeFlushes();
    }
  }

  /**
   * Returns whether a batch found the window full since the host last retired one: the host is
   * acknowledging more slowly than spans are exported.
   */
  public synchronized boolean overflowed() {
    return overflowed;
  }

  /** Marks batch {@code sequence} as rejected by the host for good, for {@code reason}. */
  synchronized void reject(long sequence, DropReason reason) {
    int i = indexOf(sequence);
    if (i >= 0) {
      Batch batch = ring[(head + i) % ring.length];
      batch.rejected = true;
      batch.rejectReason = reason;
    }
  }

  /** Fails every flush whose deadline has passed; returns the earliest remaining deadline. */
  synchronized long expireFlushes(long nowNanos, long noDeadline) {
    long earliest = noDeadline;
    for (int i = flushes.size() - 1; i >= 0; i--) {
      Flush f = flushes.get(i);
      if (nowNanos - f.deadlineNanos >= 0) {
        flushes.remove(i);
        f.result.failExceptionally(
            new java.util.concurrent.TimeoutException(
                "flush did not complete within "
                    + TimeUnit.NANOSECONDS.toMillis(f.timeoutNanos)
                    + " ms: "
                    + spansThrough(f.target)
                    + " spans are not acknowledged by the host"));
      } else if (earliest == noDeadline || f.deadlineNanos - earliest < 0) {
        earliest = f.deadlineNanos;
      }
    }
    return earliest;
  }

  /**
   * Drops every batch still held (counted as shutdown drops) and returns how many spans; batches
   * reserved afterwards are dropped at once.
   */
  public synchronized long dropAll() {
    closed = true;
    long spans = spansInWindow;
    // every flush still registered waits for a batch dropped here: it fails, it must not succeed
    for (Flush f : flushes) {
      f.result.failExceptionally(
          new IllegalStateException(
              "exporter shut down: "
                  + spansThrough(f.target)
                  + " spans were not acknowledged by the host and are dropped"));
    }
    flushes.clear();
    while (size > 0) {
      Batch batch = ring[head];
      ExporterMetrics owner = m(batch);
      removeAt(0);
      owner.dropped(DropReason.SHUTDOWN, batch.spanCount);
    }
    return spans;
  }

  /** Returns the spans held, not yet acknowledged. */
  public synchronized long spans() {
    return spansInWindow;
  }

  /** Returns the frame bytes held, not yet acknowledged. */
  public synchronized long bytes() {
    return bytesInWindow;
  }

  /** Returns the batches held, not yet acknowledged. */
  public synchronized int batches() {
    return size;
  }

  // ---- helpers, monitor held ----

  private boolean retiredThrough(long target) {
    return size == 0 || ring[head].sequence > target;
  }

  private long spansThrough(long target) {
    long spans = 0;
    for (int i = 0; i < size && ring[(head + i) % ring.length].sequence <= target; i++) {
      spans += ring[(head + i) % ring.length].spanCount;
    }
    return spans;
  }

  private void completeFlushes() {
    for (int i = flushes.size() - 1; i >= 0; i--) {
      Flush f = flushes.get(i);
      if (retiredThrough(f.target)) {
        flushes.remove(i);
        f.result.succeed();
      }
    }
  }

  /** Index (0-based from head) of the first batch with a sequence above {@code sequence}. */
  private int firstAbove(long sequence) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ring[(head + mid) % ring.length].sequence <= sequence) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private int indexOf(long sequence) {
    int i = firstAbove(sequence - 1);
    return i < size && ring[(head + i) % ring.length].sequence == sequence ? i : -1;
  }

  private void removeAt(int index) {
    Batch batch = ring[(head + index) % ring.length];
    for (int i = index; i > 0; i--) {
      ring[(head + i) % ring.length] = ring[(head + i - 1) % ring.length];
    }
    ring[head] = null;
    head = (head + 1) % ring.length;
    size--;
    bytesInWindow -= batch.frameLength;
    spansInWindow -= batch.spanCount;
    batch.inWindow = false;
    if (!batch.writing) {
      recycle(batch);
    }
  }

  private void recycle(Batch batch) {
    batch.ready = false;
    if (retainedCapacity > maxBytes) {
      retainedCapacity -= batch.buffer.length;
      batch.releaseBuffer();
    }
    free.addFirst(batch);
  }
}
