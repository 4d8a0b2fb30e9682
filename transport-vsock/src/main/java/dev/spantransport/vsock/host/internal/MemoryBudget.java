package dev.spantransport.vsock.host.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The receive-buffer budget shared by every connection of a receiver: read buffers beyond their
 * base size, payload copies held while a batch is in a sink, and spare buffers all draw from it.
 * When it is exhausted a connection stops reading (backpressure) until memory is released.
 *
 * <p>This class is internal and may change without notice.
 */
public final class MemoryBudget {

  private final long limit;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong releases = new AtomicLong();

  /**
   * Creates a budget of {@code limit} bytes.
   *
   * @param limit bytes; positive
   */
  public MemoryBudget(long limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    this.limit = limit;
  }

  /**
   * Reserves {@code bytes} if they fit under the limit.
   *
   * @param bytes bytes to reserve; not negative
   * @return true if reserved
   */
  public boolean tryReserve(long bytes) {
    if (bytes <= 0) {
      return true;
    }
    while (true) {
      long current = used.get();
      if (current + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  /**
   * Reserves {@code bytes} even past the limit (used for the small base buffer every connection
   * needs, so that it shows up in the accounting).
   *
   * @param bytes bytes to reserve
   */
  public void forceReserve(long bytes) {
    used.addAndGet(bytes);
  }

  /**
   * Returns {@code bytes} to the budget.
   *
   * @param bytes bytes to release; not negative
   */
  public void release(long bytes) {
    if (bytes > 0) {
      used.addAndGet(-bytes);
      releases.incrementAndGet();
    }
  }

  /** Returns the bytes currently reserved. */
  public long used() {
    return used.get();
  }

  /** Returns the limit in bytes. */
  public long limit() {
    return limit;
  }

  /** Returns a counter that changes whenever memory is released (to retry waiting readers). */
  public long releaseCount() {
    return releases.get();
  }
}
