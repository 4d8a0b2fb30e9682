package dev.spantransport.tests;

import dev.spantransport.vsock.host.SpanReceiver;
import dev.spantransport.vsock.host.SpanReceiverBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A receiver in its own JVM, for tests that kill it or cap its heap. Configured by system
 * properties ({@code receiver.endpoint}, {@code receiver.forward}: the {@link DurableSink} socket,
 * optional {@code receiver.window}, {@code receiver.maxConnections}, {@code receiver.budget}).
 * Prints {@code READY} once listening; on the line {@code stats} from stdin it prints one {@code
 * STATS key=value ...} line; on {@code exit} (or end of stdin) it shuts down.
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
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      System.out.println("FAILED to start " + receiver);
      System.exit(2);
    }
    System.out.println("READY " + receiver);
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("stats")) {
        long heapPeak = 0;
        long heapUsed = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            heapPeak += pool.getPeakUsage().getUsed();
            heapUsed += pool.getUsage().getUsed();
          }
        }
        System.out.println(
            "STATS connections="
                + receiver.connectionCount()
                + " bufferedBytes="
                + receiver.bufferedBytes()
                + " sessions="
                + receiver.sessionCount()
                + " batches="
                + sink.batches()
                + " spans="
                + sink.spans()
                + " heapUsed="
                + heapUsed
                + " heapPeak="
                + heapPeak
                + " heapMax="
                + Runtime.getRuntime().maxMemory());
        System.out.flush();
      } else if (line.equals("exit")) {
        break;
      }
    }
    receiver.close();
    System.exit(0);
  }
}
