package dev.spantransport.tests;

import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * A real Apache Kafka broker ({@code org.apache.kafka:kafka_2.13}, KRaft, one node acting as broker
 * and controller) in a JVM of its own, listening on free loopback ports, its log in a directory of
 * the test's. {@link #kill()} SIGKILLs it; {@link #start()} brings it back on the same ports and
 * log.
 */
final class KafkaBroker implements AutoCloseable {

  private final Path dir;
  private final Path config;
  private final int port;
  private Process process;

  private final String clusterId;

  private KafkaBroker(Path dir, int port, Path config, String clusterId) {
    this.dir = dir;
    this.port = port;
    this.config = config;
    this.clusterId = clusterId;
  }

  /** Writes the configuration; {@link #start()} formats the log directory on first use. */
  static KafkaBroker configure(Path dir) throws IOException {
    int port = freePort();
    int controllerPort = freePort();
    Path logs = dir.resolve("kafka-logs");
    Files.createDirectories(logs);
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.setProperty(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("log.dirs", logs.toString());
    p.setProperty("num.partitions", "1");
    p.setProperty("auto.create.topics.enable", "false");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "3");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("num.network.threads", "2");
    p.setProperty("num.io.threads", "2");
    p.setProperty("num.recovery.threads.per.data.dir", "1");
    Path config = dir.resolve("server.properties");
    try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      p.store(w, "KafkaSinkIT broker");
    }
    return new KafkaBroker(dir, port, config, Uuid.randomUuid().toString());
  }

  private ProcessBuilder java(String main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main);
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()));
    return pb;
  }

  /** Starts the broker and waits until it serves requests. */
  void start() throws IOException, InterruptedException {
    long started = System.nanoTime();
    process = java(KafkaBrokerMain.class.getName(), config.toString(), clusterId).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    try (Admin admin = admin()) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "broker exited with " + process.exitValue() + "; see " + dir.resolve("broker.log"));
        }
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          System.out.printf(
              "KafkaSinkIT: broker serving after %.1f s%n", (System.nanoTime() - started) / 1e9);
          return;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(
                "broker not serving within 120 s; see " + dir.resolve("broker.log"), e);
          }
          Thread.sleep(200);
        }
      }
    }
  }

  /** Creates a topic and waits for it to exist. */
  void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = admin()) {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
  }

  Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            "5000",
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            "10000"));
  }

  String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** SIGKILL: no shutdown hook, no clean log close. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("broker survived SIGKILL for 30 s");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
