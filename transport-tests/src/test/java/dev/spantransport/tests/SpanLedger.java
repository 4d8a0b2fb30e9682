package dev.spantransport.tests;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;

/**
 * What a sink received, counted by span index, deduplicated by (session id, sequence) as
 * PROTOCOL.md promises: a batch whose (session, sequence) was already recorded is a redelivery and
 * is not counted again; a span index seen in two different batches is a true duplicate.
 */
final class SpanLedger {

  private final BitSet seen = new BitSet();
  private final Set<String> batches = new HashSet<>();
  private long unique;
  private long duplicates;
  private long redeliveries;
  private long redeliveredSpans;
  private long rawBatches;
  private long foreign;
  private long malformed;

  /** Records one batch; returns false if it was a redelivery of a recorded (session, sequence). */
  boolean record(String session, long sequence, byte[] buffer, int offset, int length) {
    synchronized (this) {
      rawBatches++;
      if (!batches.add(session + ":" + sequence)) {
        redeliveries++;
        long[] n = {0};
        try {
          TestSpans.indices(buffer, offset, length, i -> n[0]++, () -> n[0]++);
        } catch (InvalidProtocolBufferException e) {
          malformed++;
        }
        redeliveredSpans += n[0];
        return false;
      }
      try {
        TestSpans.indices(
            buffer,
            offset,
            length,
            i -> {
              if (i < 0 || i > Integer.MAX_VALUE - 1) {
                foreign++;
              } else if (seen.get((int) i)) {
                duplicates++;
              } else {
                seen.set((int) i);
                unique++;
              }
            },
            () -> foreign++);
      } catch (InvalidProtocolBufferException e) {
        malformed++;
      }
      notifyAll();
      return true;
    }
  }

  /** Waits until at least {@code n} distinct spans arrived; false at the timeout. */
  synchronized boolean awaitUnique(long n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (unique < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  synchronized long unique() {
    return unique;
  }

  /** Spans seen in more than one distinct (session, sequence): must stay 0. */
  synchronized long duplicates() {
    return duplicates;
  }

  /** Batches delivered again with a (session, sequence) already recorded. */
  synchronized long redeliveries() {
    return redeliveries;
  }

  synchronized long redeliveredSpans() {
    return redeliveredSpans;
  }

  synchronized long rawBatches() {
    return rawBatches;
  }

  synchronized long foreign() {
    return foreign;
  }

  synchronized long malformed() {
    return malformed;
  }

  /** Distinct spans with index in [from, to). */
  synchronized long countIn(long from, long to) {
    return seen.get((int) from, (int) to).cardinality();
  }

  /** Indices in [from, to) that never arrived, at most {@code max} of them, for messages. */
  synchronized String missing(long from, long to, int max) {
    StringBuilder sb = new StringBuilder();
    int shown = 0;
    long total = 0;
    for (int i = seen.nextClearBit((int) from); i < to; i = seen.nextClearBit(i + 1)) {
      total++;
      if (shown++ < max) {
        sb.append(sb.length() == 0 ? "" : ",").append(i);
      }
    }
    return total + " missing" + (total > 0 ? " [" + sb + (total > max ? ",..." : "") + "]" : "");
  }

  @Override
  public synchronized String toString() {
    return "SpanLedger{unique="
        + unique
        + ", duplicates="
        + duplicates
        + ", rawBatches="
        + rawBatches
        + ", redeliveries="
        + redeliveries
        + " ("
        + redeliveredSpans
        + " spans), foreign="
        + foreign
        + ", malformed="
        + malformed
        + "}";
  }
}
