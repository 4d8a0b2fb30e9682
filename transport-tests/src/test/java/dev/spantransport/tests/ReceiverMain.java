package dev.spantransport.tests;

import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A receiver in its own JVM, for tests that kill it or cap its heap. Configured by system
 * properties ({@code receiver.endpoint}, {@code receiver.forward}: the {@link DurableSink} socket,
 * optional {@code receiver.window}, {@code receiver.maxConnections}, {@code receiver.budget}).
 * Speaks {@link ReceiverConsole}'s protocol; {@code STATS} adds the sink's {@code batches} and
 * {@code spans}.
 */
public final class ReceiverMain {

  private ReceiverMain() {}

  public static void main(String[] args) throws Exception {
    ForwardingSink sink = new ForwardingSink(Path.of(System.getProperty("receiver.forward")));
    SpanReceiverBuilder builder =
        SpanReceiver.builder()
            .addEndpoint(System.getProperty("receiver.endpoint"))
            .addSink(sink)
            .setShutdownTimeout(Duration.ofSeconds(2));
    if (System.getProperty("receiver.window") != null) {
      builder.setWindow(Integer.getInteger("receiver.window"));
    }
    if (System.getProperty("receiver.maxConnections") != null) {
      builder.setMaxConnections(Integer.getInteger("receiver.maxConnections"));
    }
    if (System.getProperty("receiver.maxConnectionsPerPeer") != null) {
      builder.setMaxConnectionsPerPeer(Integer.getInteger("receiver.maxConnectionsPerPeer"));
    }
    if (System.getProperty("receiver.budget") != null) {
      builder.setReceiveBufferBudget(Long.getLong("receiver.budget"));
    }
    SpanReceiver receiver = builder.build();
    ReceiverConsole.serve(
        receiver,
        receiver.toString(),
        stats -> {
          stats.put("batches", sink.batches());
          stats.put("spans", sink.spans());
        },
        () -> {});
  }
}
