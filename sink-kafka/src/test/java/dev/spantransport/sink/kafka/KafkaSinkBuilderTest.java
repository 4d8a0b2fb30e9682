package dev.spantransport.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.junit.jupiter.api.Test;

class KafkaSinkBuilderTest {

  @Test
  void defaultsAreTheCollectorsAndTheGuaranteesSettings() {
    KafkaSinkBuilder builder = KafkaSink.builder();
    Map<String, Object> config = builder.producerConfig();

    assertEquals("localhost:9092", config.get("bootstrap.servers"));
    assertEquals("all", config.get("acks"));
    assertEquals("true", config.get("enable.idempotence"));
    assertEquals("0", config.get("max.block.ms"));
    assertEquals(
        "KafkaSinkBuilder{bootstrapServers=localhost:9092, topic=otlp_spans, key=none,"
            + " producerProperties={}}",
        builder.toString());
  }

  @Test
  void everyOtherProducerSettingPassesThrough() {
    Map<String, Object> config =
        KafkaSink.builder()
            .setBootstrapServers("k1:9092,k2:9093")
            .setProducerProperty("compression.type", "zstd")
            .setProducerProperty("linger.ms", "20")
            .setProducerProperties(Map.of("buffer.memory", "8388608", "max.block.ms", "50"))
            .setProducerProperty("client.id", "host-17")
            .producerConfig();

    assertEquals("k1:9092,k2:9093", config.get("bootstrap.servers"));
    assertEquals("zstd", config.get("compression.type"));
    assertEquals("20", config.get("linger.ms"));
    assertEquals("8388608", config.get("buffer.memory"));
    assertEquals("50", config.get("max.block.ms"));
    assertEquals("host-17", config.get("client.id"));
  }

  @Test
  void settingsTheGuaranteesRestOnCannotBeWeakened() {
    KafkaSinkBuilder b = KafkaSink.builder();
    assertEquals(
        "acks must be all: a batch is acked to its guest only once every in-sync replica has it: 1",
        assertThrows(IllegalArgumentException.class, () -> b.setProducerProperty("acks", "1"))
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> b.setProducerProperty("enable.idempotence", "false"))
            .getMessage()
            .startsWith("enable.idempotence must be true"));
    assertEquals(
        "max.block.ms must be between 0 and 100 (accept() runs on the receiver's I/O thread):"
            + " 60000",
        assertThrows(
                IllegalArgumentException.class,
                () -> b.setProducerProperty("max.block.ms", "60000"))
            .getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> b.setProducerProperty("value.serializer", "org.example.Json"));
    assertThrows(
        IllegalArgumentException.class, () -> b.setProducerProperty("transactional.id", "host-17"));
    // refused settings leave the builder as it was
    assertEquals("all", b.producerConfig().get("acks"));
    assertEquals("0", b.producerConfig().get("max.block.ms"));
    b.setProducerProperty("acks", "-1");
  }

  @Test
  void toStringShowsTheConfigurationButNoSecret() {
    String text =
        KafkaSink.builder()
            .setBootstrapServers("kafka:9093")
            .setTopic("fleet_spans")
            .setPartitionByTraceId(true)
            .setProducerProperty("security.protocol", "SASL_SSL")
            .setProducerProperty(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                    + " username=\"u\" password=\"hunter2\";")
            .setProducerProperty("ssl.truststore.password", "changeit")
            .setProducerProperty("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----")
            .setProducerProperty("sasl.oauthbearer.client.credentials.client.secret", "s3cr3t")
            .setProducerProperty("compression.type", "zstd")
            .setProducerFactory(config -> new MockProducer<>())
            .build()
            .toString();

    assertEquals(
        "KafkaSink{bootstrapServers=kafka:9093, topic=fleet_spans, key=trace_id,"
            + " producerProperties={compression.type=zstd,"
            + " sasl.jaas.config=OBFUSCATED,"
            + " sasl.oauthbearer.client.credentials.client.secret=OBFUSCATED,"
            + " security.protocol=SASL_SSL,"
            + " ssl.keystore.key=OBFUSCATED,"
            + " ssl.truststore.password=OBFUSCATED}}",
        text);
    assertFalse(text.contains("hunter2"));
  }

  @Test
  void badBrokersAndTopicsAreRefusedNamingTheRule() {
    KafkaSinkBuilder b = KafkaSink.builder();
    assertEquals(
        "bootstrapServers must be HOST:PORT[,HOST:PORT...]: kafka",
        assertThrows(IllegalArgumentException.class, () -> b.setBootstrapServers("kafka"))
            .getMessage());
    assertEquals(
        "bootstrapServers port must be between 1 and 65535: k:0",
        assertThrows(IllegalArgumentException.class, () -> b.setBootstrapServers("k:0"))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.setBootstrapServers("k1:9092,"));
    assertEquals(
        "topic must be 1 to 249 of [a-zA-Z0-9._-], not '.' or '..': otlp spans",
        assertThrows(IllegalArgumentException.class, () -> b.setTopic("otlp spans")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.setTopic(".."));
    assertThrows(NullPointerException.class, () -> b.setTopic(null));
  }
}
