package dev.spantransport.tests;

import dev.spantransport.sink.kafka.KafkaSink;
import dev.spantransport.vsock.host.SpanReceiver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One host: a receiver in its own JVM whose only sink is a {@link KafkaSink}. Configured by system
 * properties ({@code host.endpoint}, {@code host.brokers}, {@code host.topic}, {@code host.key}:
 * {@code none} or {@code trace_id}, {@code host.budget}: the receive-buffer budget, {@code
 * host.bufferMemory}: the producer's {@code buffer.memory}). Speaks {@link ReceiverConsole}'s
 * protocol; {@code STATS} adds the sink's counters.
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
    ReceiverConsole.serve(
        receiver,
        receiver + " " + sink,
        stats -> {
          stats.put("pendingBatches", sink.pendingBatches());
          stats.put("recordsAcked", sink.recordsAcked());
          stats.put("batchesFailed", sink.batchesFailed());
          stats.put("batchesRejected", sink.batchesRejected());
        },
        () -> sink.shutdown().join(10, TimeUnit.SECONDS));
  }
}
