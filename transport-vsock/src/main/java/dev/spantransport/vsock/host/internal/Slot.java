package dev.spantransport.vsock.host.internal;

import dev.spantransport.sink.SpanBatch;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One in-flight batch of a connection: its payload copy, the flyweight handed to the sinks and the
 * sinks' results. Reused for the connection's lifetime. Sink threads only touch {@link #pending},
 * {@link #failed} and the completion stack; everything else belongs to the loop thread.
 *
 * <p>This class is internal and may change without notice.
 */
final class Slot {

  static final int FREE = 0;
  static final int PENDING = 1;
  static final int SUCCEEDED = 2;
  static final int FAILED = 3;

  /** Rejected for good without reaching the sinks (MALFORMED_PAYLOAD, TOO_MANY_SPANS): done. */
  static final int REJECTED = 4;

  final Connection connection;
  final SpanBatch batch = new SpanBatch();
  final CompletableResultCode[] results;
  final Runnable[] callbacks;
  final AtomicInteger pending = new AtomicInteger();
  volatile boolean failed;
  Slot nextDone;

  int state = FREE;
  long sequence;
  int spanCount;
  byte[] payload;
  int length;
  long startNanos;

  Slot(Connection connection, int sinkCount) {
    this.connection = connection;
    this.results = new CompletableResultCode[sinkCount];
    this.callbacks = new Runnable[sinkCount];
    for (int i = 0; i < sinkCount; i++) {
      int index = i;
      callbacks[i] = () -> onSinkDone(index);
    }
  }

  private void onSinkDone(int index) {
    CompletableResultCode result = results[index];
    if (result == null || !result.isSuccess()) {
      failed = true;
    }
    if (pending.decrementAndGet() == 0) {
      connection.loop.completed(this);
    }
  }
}
