package dev.spantransport.vsock.guest.internal;

import java.util.SplittableRandom;

/**
 * Exponential reconnect backoff with jitter: the n-th consecutive failure waits {@code min(max,
 * initial * 2^n)}, shortened by a random fraction of up to {@code jitter}. Used by one thread.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class Backoff {

  private final long initialNanos;
  private final long maxNanos;
  private final double jitter;
  private final SplittableRandom random;
  private int failures;

  /** Creates a backoff; {@code jitter} is between 0 and 1. */
  public Backoff(long initialNanos, long maxNanos, double jitter, long seed) {
    this.initialNanos = initialNanos;
    this.maxNanos = maxNanos;
    this.jitter = jitter;
    this.random = new SplittableRandom(seed);
  }

  /** Returns the delay before the next attempt and counts one more failure. */
  public long nextDelayNanos() {
    long delay = initialNanos;
    for (int i = 0; i < failures && delay < maxNanos; i++) {
      delay *= 2;
    }
    delay = Math.min(delay, maxNanos);
    failures = Math.min(failures + 1, 62);
    return (long) (delay * (1 - jitter * random.nextDouble()));
  }

  /** Makes the next delay the longest one. */
  public void maxOut() {
    failures = 62;
  }

  /** Starts over from the initial delay, after a successful handshake. */
  public void reset() {
    failures = 0;
  }
}
