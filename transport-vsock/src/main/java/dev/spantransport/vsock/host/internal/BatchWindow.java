package dev.spantransport.vsock.host.internal;

import dev.spantransport.sink.LogBatch;
import dev.spantransport.sink.MetricBatch;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.Attributes;
import java.util.List;
import java.util.logging.Level;

/**
 * The batches of one {@link Connection} between their frame and their ACK: a ring of at most {@code
 * window} {@link Slot}s in sequence order, the hand-off of each to the sinks of its signal, the
 * outcome the sinks report (recorded in the connection's {@link SessionTable.Session}, passed on to
 * slots of other connections waiting for the same batch), and the cumulative ACK of the settled
 * slots at the head of the ring. After SINK_UNAVAILABLE nothing from the refused batch on is acked
 * and the slots that would only hold the window are freed.
 *
 * <h2>Delivery across connections</h2>
 *
 * Every SPANS frame is claimed in its {@link SessionTable.Session} before it reaches the sinks. A
 * batch the session already has in the sinks on another connection (the guest gave up on that one
 * and resent) is not dispatched again: its slot waits for the other one's outcome. A batch already
 * settled is counted done without the sinks. A connection that closes with batches in the sinks
 * still records their outcome in the session, which is what the guest's next connection acks. After
 * SINK_UNAVAILABLE the connection frees every settled slot from the refused batch on, so its window
 * never stays full and it keeps reading until the guest's end of stream.
 *
 * <p>The loop thread owns this class; other threads only read the {@code volatile} views behind
 * {@link Connection#health()}.
 *
 * <p>This class is internal and may change without notice.
 */
final class BatchWindow {

  private final Connection connection;
  private final ReceiverContext context;
  private final ConnectionMemory memory;
  private final ControlWriter control;
  private final int window;
  private final Attributes guest;
  private final String label;

  private Slot[] slots;
  private int head;

  /** Slots taken: batches received and not yet acked (or freed after a refusal). */
  int count;

  // Read by SpanReceiver.guests() and the per-guest gauges from other threads; written here.
  volatile long lastBatchMillis; // 0: none yet
  volatile int unackedView;
  volatile long batchesAckedView;

  /** SINK_UNAVAILABLE was queued: nothing later reaches the sinks on this connection. */
  boolean sinkRefused;

  /** The first sequence a sink could not take, once refused. */
  long refusedFrom = Long.MAX_VALUE;

  BatchWindow(
      Connection connection,
      ReceiverContext context,
      ConnectionMemory memory,
      ControlWriter control) {
    this.connection = connection;
    this.context = context;
    this.memory = memory;
    this.control = control;
    this.window = context.config.window();
    this.guest = connection.guest;
    this.label = connection.label;
  }

  Slot findSlot(long sequence) {
    if (slots == null) {
      return null;
    }
    for (int i = 0; i < count; i++) {
      Slot s = slots[(head + i) % slots.length];
      if (s.sequence == sequence) {
        return s;
      }
    }
    return null;
  }

  Slot newSlot(long sequence) {
    if (slots == null) {
      slots = new Slot[window];
    }
    int i = (head + count) % slots.length;
    Slot slot = slots[i];
    if (slot == null) {
      slot = new Slot(connection, context);
      slots[i] = slot;
    }
    count++;
    unackedView = count;
    lastBatchMillis = System.currentTimeMillis();
    slot.sequence = sequence;
    return slot;
  }

  void dispatchPrepared(Slot slot, Signal signal, long sequence, int spans, int length) {
    slot.length = length;
    slot.spanCount = spans;
    slot.state = Slot.PENDING;
    slot.failed = false;
    slot.refused = false;
    slot.refusal = null;
    slot.waiting = false;
    slot.startNanos = System.nanoTime();
    slot.batch =
        batch(
            signal,
            connection.peer,
            connection.identity,
            connection.sessionHex,
            sequence,
            spans,
            slot.payload,
            length);
    context.metrics.batchReceived(guest, signal, spans);
    slot.offerTo(context, context.connectionLog);
  }

  /** Returns the immutable batch of {@code signal} the sinks see. */
  static OtlpBatch batch(
      Signal signal,
      PeerIdentity peer,
      Attributes identity,
      String session,
      long sequence,
      int items,
      byte[] payload,
      int length) {
    switch (signal) {
      case LOGS:
        return LogBatch.of(peer, identity, session, sequence, items, payload, 0, length);
      case METRICS:
        return MetricBatch.of(peer, identity, session, sequence, items, payload, 0, length);
      default:
        return SpanBatch.of(peer, identity, session, sequence, items, payload, 0, length);
    }
  }

  /**
   * Records the outcome of {@code slot} (every sink finished with it, or, for a waiting slot, the
   * slot it waited for did) and acks what it settled. Runs after the connection closed too: the
   * outcome still counts for the session. Returns whether the connection is still open.
   */
  boolean onSlotDone(Slot slot) {
    boolean waited = slot.waiting;
    slot.waiting = false;
    if (!waited) {
      context.metrics.sinkDuration(guest, System.nanoTime() - slot.startNanos);
      for (int i = 0; i < slot.results.length; i++) {
        slot.results[i] = null;
      }
      releasePayload(slot);
    }
    SessionTable.Session session = connection.session;
    boolean legacy = session == null;
    int outcome =
        slot.refused
            ? SessionTable.Session.REFUSED
            : slot.failed ? SessionTable.Session.RETRY : SessionTable.Session.DELIVERED;
    if (!waited && !legacy) {
      List<Slot> waiting = session.finish(slot.sequence, outcome);
      if (waiting != null) {
        for (Slot w : waiting) {
          w.refusal = slot.refusal;
          w.refused = slot.refused;
          w.failed = slot.failed;
          w.connection.loop.completed(w);
        }
      }
    }
    boolean open = !connection.isClosed();
    if (outcome == SessionTable.Session.REFUSED) {
      if (!waited) {
        connection.rejected("sink_rejected");
        context.connectionLog.log(
            Level.WARNING,
            "a sink refused batch "
                + slot.sequence
                + " from "
                + label
                + " for good, dropping it: "
                + slot.refusal);
      }
      slot.state = legacy ? Slot.SUCCEEDED : Slot.REJECTED;
      if (open && !legacy) {
        control.queueError(
            Wire.BATCH_REJECTED,
            slot.sequence,
            false,
            "a sink refused the batch for good: " + slot.refusal);
      }
    } else if (outcome == SessionTable.Session.RETRY) {
      if (!waited) {
        connection.rejected("sink_unavailable");
      }
      if (legacy) {
        slot.state = Slot.SUCCEEDED; // no acks in the legacy protocol: the batch is dropped
      } else {
        slot.state = Slot.FAILED;
        refusedFrom = Math.min(refusedFrom, slot.sequence);
        if (!sinkRefused && open) {
          control.queueError(
              Wire.SINK_UNAVAILABLE,
              slot.sequence,
              false,
              "a sink refused the batch; resend it later");
        }
        sinkRefused = true;
      }
    } else {
      slot.state = waited ? Slot.SKIPPED : Slot.SUCCEEDED;
    }
    advanceAck();
    if (!open) {
      if (!hasPendingSlots()) {
        connection.releaseSession();
      }
      return false;
    }
    return true;
  }

  /** Retires the done slots at the head of the window and queues the cumulative ACK for them. */
  void advanceAck() {
    long ack = -1;
    long acked = 0;
    while (count > 0 && isSettled(slots[head]) && slots[head].sequence < refusedFrom) {
      Slot s = slots[head];
      ack = s.sequence;
      if (s.state == Slot.SUCCEEDED) {
        acked++;
      }
      s.state = Slot.FREE;
      head = (head + 1) % slots.length;
      count--;
      unackedView = count;
    }
    SessionTable.Session session = connection.session;
    if (ack >= 0 && session != null) {
      session.ack(ack);
      context.metrics.acked(guest, acked);
      batchesAckedView += acked;
      control.queueAck(ack);
    }
    if (sinkRefused) {
      freeRefusedSlots();
    }
  }

  private static boolean isSettled(Slot s) {
    return s.state == Slot.SUCCEEDED || s.state == Slot.REJECTED || s.state == Slot.SKIPPED;
  }

  /**
   * After SINK_UNAVAILABLE nothing from the refused batch on is acked on this connection
   * (PROTOCOL.md section 6); the session keeps what those batches' sinks said. Their slots would
   * only hold the window, so every one not still in the sinks is freed; the others keep their
   * order.
   */
  private void freeRefusedSlots() {
    int kept = 0;
    for (int i = 0; i < count; i++) {
      int at = (head + i) % slots.length;
      Slot s = slots[at];
      if (s.state == Slot.PENDING || s.sequence < refusedFrom) {
        int to = (head + kept) % slots.length;
        slots[at] = slots[to];
        slots[to] = s;
        kept++;
      } else {
        s.state = Slot.FREE;
      }
    }
    count = kept;
    unackedView = count;
  }

  /**
   * Returns whether a sink refused a batch of this connection: reported (SINK_UNAVAILABLE queued),
   * or known from a sink's result whose completion the loop has not processed yet.
   */
  boolean sinkRefused() {
    if (sinkRefused) {
      return true;
    }
    for (int i = 0; i < count; i++) {
      if (slots[(head + i) % slots.length].failed) {
        return true;
      }
    }
    return false;
  }

  private void releasePayload(Slot slot) {
    byte[] payload = slot.payload;
    slot.payload = null;
    if (payload == null) {
      return;
    }
    memory.releasePayload(
        payload, !connection.isClosed() && connection.session != null, connection.in.capacity());
  }

  boolean hasPendingSlots() {
    if (slots == null) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      if (slots[(head + i) % slots.length].state == Slot.PENDING) {
        return true;
      }
    }
    return false;
  }

  /** On close: releases the payloads of the slots not in the sinks; the others release later. */
  void releaseSettledPayloads() {
    if (slots != null) {
      for (Slot s : slots) {
        if (s != null && s.state != Slot.PENDING) {
          releasePayload(s); // pending ones are released when their sinks finish
        }
      }
    }
  }

  @Override
  public String toString() {
    return "BatchWindow{inFlight=" + count + ", window=" + window + "}";
  }
}
