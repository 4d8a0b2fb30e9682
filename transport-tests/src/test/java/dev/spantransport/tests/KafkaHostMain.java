package dev.spantransport.tests;

import dev.spantransport.sink.kafka.KafkaSink;
import dev.spantransport.vsock.host.SpanReceiver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One host: a receiver in its own JVM whose only sink is a {@link KafkaSink}. Configured by system
 * properties ({@code host.endpoint}, {@code host.brokers}, {@code host.topic}, {@code host.key}:
 * {@code none} or {@code trace_id}, {@code host.budget}: the receive-buffer budget, {@code
 * host.bufferMemory}: the producer's {@code buffer.memory}). Prints {@code READY}; on {@code stats}
 * prints one {@code STATS key=value ...} line; on {@code exit} shuts down.
 */
public final class KafkaHostMain {

  private KafkaHostMain() {}

  public static void main(String[] args) throws Exception {
    KafkaSink sink =
        KafkaSink.builder()
            .setBootstrapServers(System.getProperty("host.brokers"))
            .setTopic(System.getProperty("host.topic", KafkaSink.DEFAULT_TOPIC))
            .setPartitionByTraceId("trace_id".equals(System.getProperty("host.key", "none")))
            .setProducerProperty(
                "buffer.memory", System.getProperty("host.bufferMemory", "8388608"))
            .setProducerProperty("reconnect.backoff.max.ms", "500")
            .build();
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint(System.getProperty("host.endpoint"))
            .addSink(sink)
            .setReceiveBufferBudget(Long.getLong("host.budget", 16L * 1024 * 1024))
            .setShutdownTimeout(Duration.ofSeconds(5))
            .build();
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      System.out.println("FAILED to start " + receiver);
      System.exit(2);
    }
    System.out.println("READY " + receiver + " " + sink);
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
                + " pendingBatches="
                + sink.pendingBatches()
                + " recordsAcked="
                + sink.recordsAcked()
                + " batchesFailed="
                + sink.batchesFailed()
                + " batchesRejected="
                + sink.batchesRejected()
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
    sink.shutdown().join(10, TimeUnit.SECONDS);
    System.exit(0);
  }
}
