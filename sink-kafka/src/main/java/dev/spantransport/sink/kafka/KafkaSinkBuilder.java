package dev.spantransport.sink.kafka;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Configures a {@link KafkaSink}. Every setter checks its argument at once, so a bad value never
 * reaches {@link #build()}. Not thread-safe.
 *
 * <p>Any Kafka producer setting can be given with {@link #setProducerProperty}; the sink's own
 * defaults (below) apply where none is given. Settings its guarantees rest on are fixed: {@code
 * acks=all}, {@code enable.idempotence=true}, byte-array serializers, and {@code max.block.ms} at
 * most {@value #MAX_BLOCK_MS_LIMIT} ms, so that {@link KafkaSink#accept} never holds up the
 * receiver's I/O thread.
 */
public final class KafkaSinkBuilder {

  /** The default brokers, as the Collector's {@code kafka} exporter has them. */
  public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

  /** The largest {@code max.block.ms} accepted; the default is 0. */
  public static final long MAX_BLOCK_MS_LIMIT = 100;

  /** The default {@code client.id}. */
  public static final String DEFAULT_CLIENT_ID = "span-transport-kafka-sink";

  private String bootstrapServers = DEFAULT_BOOTSTRAP_SERVERS;
  private String topic = KafkaSink.DEFAULT_TOPIC;
  private boolean partitionByTraceId;
  private final Map<String, String> properties = new TreeMap<>();
  private Function<Map<String, Object>, Producer<byte[], byte[]>> producerFactory =
      KafkaProducer::new;

  KafkaSinkBuilder() {}

  /**
   * Sets the brokers to bootstrap from, {@code HOST:PORT[,HOST:PORT...]}. Default {@value
   * #DEFAULT_BOOTSTRAP_SERVERS}.
   *
   * @param bootstrapServers a comma-separated list of host:port pairs
   * @return this builder
   */
  public KafkaSinkBuilder setBootstrapServers(String bootstrapServers) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    String[] servers = bootstrapServers.split(",", -1);
    for (String server : servers) {
      String s = server.trim();
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1) {
        throw new IllegalArgumentException(
            "bootstrapServers must be HOST:PORT[,HOST:PORT...]: " + bootstrapServers);
      }
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "bootstrapServers must be HOST:PORT[,HOST:PORT...]: " + bootstrapServers, e);
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(
            "bootstrapServers port must be between 1 and 65535: " + bootstrapServers);
      }
    }
    this.bootstrapServers = bootstrapServers;
    return this;
  }

  /**
   * Sets the topic every record goes to. Default {@value KafkaSink#DEFAULT_TOPIC}, the topic the
   * Collector's {@code kafka} receiver reads traces from.
   *
   * @param topic a legal Kafka topic name
   * @return this builder
   */
  public KafkaSinkBuilder setTopic(String topic) {
    Objects.requireNonNull(topic, "topic");
    if (topic.isEmpty()
        || topic.length() > 249
        || topic.equals(".")
        || topic.equals("..")
        || !topic.chars().allMatch(KafkaSinkBuilder::legalTopicChar)) {
      throw new IllegalArgumentException(
          "topic must be 1 to 249 of [a-zA-Z0-9._-], not '.' or '..': " + topic);
    }
    this.topic = topic;
    return this;
  }

  /**
   * Splits each batch by trace and keys each record with its trace id (32 lowercase hex digits), as
   * the Collector's {@code kafka} exporter does with {@code partition_traces_by_id: true}: all
   * spans of a trace then land in one partition. Default false: one record per batch, no key.
   *
   * @param partitionByTraceId whether to key records by trace id
   * @return this builder
   */
  public KafkaSinkBuilder setPartitionByTraceId(boolean partitionByTraceId) {
    this.partitionByTraceId = partitionByTraceId;
    return this;
  }

  /**
   * Sets any Kafka producer setting (e.g. {@code compression.type}, {@code linger.ms}, {@code
   * buffer.memory}, {@code security.protocol}, {@code sasl.jaas.config}), overriding the sink's
   * default for it. Values of secret settings are never printed by {@code toString()}.
   *
   * @param key a producer config name
   * @param value its value
   * @return this builder
   * @throws IllegalArgumentException for a setting the sink's guarantees rest on, set otherwise
   */
  public KafkaSinkBuilder setProducerProperty(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    String v = value.trim();
    switch (key) {
      case ProducerConfig.ACKS_CONFIG -> {
        if (!v.equals("all") && !v.equals("-1")) {
          throw new IllegalArgumentException(
              "acks must be all: a batch is acked to its guest only once every in-sync replica"
                  + " has it: "
                  + value);
        }
      }
      case ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG -> {
        if (!v.equalsIgnoreCase("true")) {
          throw new IllegalArgumentException(
              "enable.idempotence must be true: producer retries must not duplicate or reorder"
                  + " records: "
                  + value);
        }
      }
      case ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG ->
          throw new IllegalArgumentException(
              key + " is fixed to " + ByteArraySerializer.class.getName() + ": " + value);
      case ProducerConfig.MAX_BLOCK_MS_CONFIG -> {
        long ms;
        try {
          ms = Long.parseLong(v);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("max.block.ms must be an integer: " + value, e);
        }
        if (ms < 0 || ms > MAX_BLOCK_MS_LIMIT) {
          throw new IllegalArgumentException(
              "max.block.ms must be between 0 and "
                  + MAX_BLOCK_MS_LIMIT
                  + " (accept() runs on the receiver's I/O thread): "
                  + value);
        }
      }
      case ProducerConfig.TRANSACTIONAL_ID_CONFIG ->
          throw new IllegalArgumentException(
              "transactional.id is not supported: the sink writes without transactions, each"
                  + " batch acked on its own: "
                  + value);
      case ProducerConfig.BOOTSTRAP_SERVERS_CONFIG -> {
        setBootstrapServers(value);
        return this;
      }
      default -> {
        if (key.isBlank()) {
          throw new IllegalArgumentException(
              "producer property name must not be blank: '" + key + "'");
        }
      }
    }
    properties.put(key, value);
    return this;
  }

  /**
   * Sets several producer settings, as {@link #setProducerProperty} does one.
   *
   * @param properties config names and values
   * @return this builder
   */
  public KafkaSinkBuilder setProducerProperties(Map<String, String> properties) {
    Objects.requireNonNull(properties, "properties");
    properties.forEach(this::setProducerProperty);
    return this;
  }

  /** For tests: how the producer is made from its configuration. */
  KafkaSinkBuilder setProducerFactory(
      Function<Map<String, Object>, Producer<byte[], byte[]>> producerFactory) {
    this.producerFactory = Objects.requireNonNull(producerFactory, "producerFactory");
    return this;
  }

  /**
   * Builds the sink and its producer. The producer connects in the background; nothing here waits
   * for a broker.
   *
   * @return a new sink
   */
  public KafkaSink build() {
    return new KafkaSink(
        producerFactory.apply(producerConfig()), topic, partitionByTraceId, describe());
  }

  /** The producer configuration: the sink's defaults, the given settings, then the fixed ones. */
  Map<String, Object> producerConfig() {
    Map<String, Object> config = new TreeMap<>();
    config.put(ProducerConfig.CLIENT_ID_CONFIG, DEFAULT_CLIENT_ID);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "0");
    config.putAll(properties);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return config;
  }

  String describe() {
    StringJoiner props = new StringJoiner(", ", "{", "}");
    // Note: values of secret settings (Kafka's PASSWORD type, JAAS configs, keys, tokens) are
    // never printed; only their names.
    properties.forEach((k, v) -> props.add(k + "=" + (isSecret(k) ? "OBFUSCATED" : v)));
    return new StringJoiner(", ", "{", "}")
        .add("bootstrapServers=" + bootstrapServers)
        .add("topic=" + topic)
        .add("key=" + (partitionByTraceId ? "trace_id" : "none"))
        .add("producerProperties=" + props)
        .toString();
  }

  /** Whether a producer setting's value must not be printed. */
  static boolean isSecret(String key) {
    ConfigDef.ConfigKey known = ProducerConfig.configDef().configKeys().get(key);
    if (known != null && known.type == ConfigDef.Type.PASSWORD) {
      return true;
    }
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password")
        || k.contains("jaas")
        || k.contains("secret")
        || k.contains("token")
        || k.contains("credential")
        || k.contains("keystore.key")
        || k.endsWith(".key");
  }

  private static boolean legalTopicChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '-';
  }

  @Override
  public String toString() {
    return "KafkaSinkBuilder" + describe();
  }
}
