package dev.spantransport.tests;

import kafka.tools.StorageTool;

/**
 * Runs a real Kafka broker in this JVM: formats its log directory unless it already is (Kafka's
 * {@code kafka-storage format --ignore-formatted}), then starts {@code kafka.Kafka}. Arguments: the
 * server.properties file and the cluster id. One JVM per broker start, so a restart after SIGKILL
 * goes through the same path on the same log.
 */
public final class KafkaBrokerMain {

  private KafkaBrokerMain() {}

  public static void main(String[] args) throws Exception {
    String config = args[0];
    String clusterId = args[1];
    int formatted =
        StorageTool.execute(
            new String[] {"format", "-t", clusterId, "-c", config, "--ignore-formatted"},
            System.out);
    if (formatted != 0) {
      System.out.println("FORMAT FAILED with " + formatted);
      System.exit(formatted);
    }
    kafka.Kafka.main(new String[] {config});
  }
}
