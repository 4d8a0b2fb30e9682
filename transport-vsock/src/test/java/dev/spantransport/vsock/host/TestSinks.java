package dev.spantransport.vsock.host;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Sinks for receiver tests. */
final class TestSinks {

  private TestSinks() {}

  /** What a sink saw of one batch, copied. */
  record Seen(
      String sessionId, long sequence, int spanCount, byte[] payload, Attributes identity) {}

  /** Records every batch and accepts it at once (or fails it, when told to). */
  static final class RecordingSink implements SpanSink {
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final BlockingQueue<Seen> arrivals = new LinkedBlockingQueue<>();
    final AtomicBoolean failing = new AtomicBoolean();

    /** Sequences to refuse the first time they arrive (of any session). */
    final Set<Long> failOnce = ConcurrentHashMap.newKeySet();

    final AtomicBoolean shutDown = new AtomicBoolean();

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      Seen s =
          new Seen(
              batch.sessionId(),
              batch.sequence(),
              batch.spanCount(),
              batch.copyPayload(),
              batch.identity());
      if (failing.get() || failOnce.remove(batch.sequence())) {
        arrivals.add(s);
        return CompletableResultCode.ofFailure();
      }
      seen.add(s);
      arrivals.add(s);
      return CompletableResultCode.ofSuccess();
    }

    Seen await() throws InterruptedException {
      Seen s = arrivals.poll(10, TimeUnit.SECONDS);
      if (s == null) {
        throw new AssertionError("sink saw no batch within 10 s");
      }
      return s;
    }

    @Override
    public CompletableResultCode shutdown() {
      shutDown.set(true);
      return CompletableResultCode.ofSuccess();
    }
  }

  /** Holds every result open until the test completes it. */
  static final class HoldingSink implements SpanSink {
    record Held(Seen seen, CompletableResultCode result) {}

    final BlockingQueue<Held> held = new LinkedBlockingQueue<>();

    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      CompletableResultCode result = new CompletableResultCode();
      held.add(
          new Held(
              new Seen(
                  batch.sessionId(),
                  batch.sequence(),
                  batch.spanCount(),
                  batch.copyPayload(),
                  batch.identity()),
              result));
      return result;
    }

    Held await() throws InterruptedException {
      Held h = held.poll(10, TimeUnit.SECONDS);
      if (h == null) {
        throw new AssertionError("sink got no batch within 10 s");
      }
      return h;
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
