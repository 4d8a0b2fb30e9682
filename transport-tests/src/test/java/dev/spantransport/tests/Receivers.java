package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** In-process receivers on a Unix socket, and bounded waits. */
final class Receivers {

  private Receivers() {}

  static SpanReceiverBuilder builder(Path socket, SpanSink sink) {
    return SpanReceiver.builder()
        .addEndpoint("unix:" + socket)
        .addSink(sink)
        .setShutdownTimeout(Duration.ofSeconds(2));
  }

  static SpanReceiver start(SpanReceiverBuilder builder) {
    SpanReceiver receiver = builder.build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess(), "receiver did not start");
    return receiver;
  }

  /** Polls {@code condition} every 10 ms until true; false at the timeout. */
  static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
