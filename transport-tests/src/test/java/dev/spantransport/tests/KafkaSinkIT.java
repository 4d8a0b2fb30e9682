package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.forwarder.Forwarder;
import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.kafka.KafkaSink;
import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts fan in to a real Apache Kafka broker through {@link KafkaSink}, and a consumer group reads
 * what the OpenTelemetry Collector's {@code kafka} receiver would: every record an OTLP protobuf
 * {@code ExportTraceServiceRequest}. The broker is {@code org.apache.kafka:kafka_2.13} in KRaft
 * mode in a JVM of its own on loopback; each host is a receiver in a JVM of its own; each host's
 * guests are real exporters, many to a JVM, each with its own connection and session.
 *
 * <p>Sizes: {@code kafka.guests} guests per host (50), {@code kafka.spans} spans per guest (300),
 * {@code kafka.throughput.batches} batches of 100 spans for the sink-alone rate (500).
 */
class KafkaSinkIT {

  static final int GUESTS = Integer.getInteger("kafka.guests", 50);
  static final int SPANS = Integer.getInteger("kafka.spans", 300);
  static final int BATCH = 10;
  static final long BUDGET = 16L * 1024 * 1024;

  @TempDir static Path dir;
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = KafkaBroker.configure(dir);
    broker.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  /** One host and its guests. */
  private record Host(ChildJvm receiver, ChildJvm guests) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      guests.close();
      receiver.close();
    }
  }

  private static Host host(
      String name, String topic, String key, int firstGuest, int guests, int spans, long pause)
      throws Exception {
    Path socket = dir.resolve(name + ".sock");
    ChildJvm receiver =
        ChildJvm.start(
            KafkaHostMain.class,
            "128m",
            Map.of(
                "host.endpoint",
                "unix:" + socket,
                "host.brokers",
                broker.bootstrapServers(),
                "host.topic",
                topic,
                "host.key",
                key,
                "host.budget",
                Long.toString(BUDGET)),
            dir.resolve(name + "-receiver.log"));
    receiver.awaitLine("READY", Duration.ofSeconds(60));
    ChildJvm guestJvm =
        ChildJvm.start(
            KafkaGuestsMain.class,
            "256m",
            Map.of(
                "guests.endpoint", "unix:" + socket,
                "guests.count", Integer.toString(guests),
                "guests.firstId", Integer.toString(firstGuest),
                "guests.spans", Integer.toString(spans),
                "guests.batch", Integer.toString(BATCH),
                "guests.pauseMillis", Long.toString(pause)),
            dir.resolve(name + "-guests.log"));
    guestJvm.awaitLine("STARTED", Duration.ofSeconds(60));
    return new Host(receiver, guestJvm);
  }

  /**
   * A host that is the forwarder's command line ({@code --listen unix:..., --kafka-brokers,
   * --kafka-topic, --kafka-key}) instead of a receiver built in code, and its guests.
   */
  private static Host forwarderHost(
      String name, String topic, String key, int firstGuest, int guests, int spans)
      throws Exception {
    Path socket = dir.resolve(name + ".sock");
    ChildJvm forwarder =
        ChildJvm.start(
            Forwarder.class,
            "128m",
            Map.of(),
            dir.resolve(name + "-forwarder.log"),
            List.of(
                "--listen",
                "unix:" + socket,
                "--kafka-brokers",
                broker.bootstrapServers(),
                "--kafka-topic",
                topic,
                "--kafka-key",
                key,
                "--kafka-property",
                "buffer.memory=8388608"));
    assertTrue(
        Receivers.await(() -> java.nio.file.Files.exists(socket), Duration.ofSeconds(60)),
        "forwarder not listening within 60 s; see " + dir.resolve(name + "-forwarder.log"));
    ChildJvm guestJvm =
        ChildJvm.start(
            KafkaGuestsMain.class,
            "256m",
            Map.of(
                "guests.endpoint", "unix:" + socket,
                "guests.count", Integer.toString(guests),
                "guests.firstId", Integer.toString(firstGuest),
                "guests.spans", Integer.toString(spans),
                "guests.batch", Integer.toString(BATCH),
                "guests.pauseMillis", "0"),
            dir.resolve(name + "-guests.log"));
    guestJvm.awaitLine("STARTED", Duration.ofSeconds(60));
    return new Host(forwarder, guestJvm);
  }

  private static long sum(List<Host> hosts, String key, boolean ofGuests) throws Exception {
    long total = 0;
    for (Host h : hosts) {
      total += (ofGuests ? h.guests() : h.receiver()).stats().get(key);
    }
    return total;
  }

  /** What a consumer group saw, after dropping redelivered records by their headers. */
  static final class Seen {
    final Set<String> parts = ConcurrentHashMap.newKeySet();
    final Map<Long, Integer> spanCopies = new ConcurrentHashMap<>();
    final Map<Long, Set<Integer>> tracePartitions = new ConcurrentHashMap<>();
    final AtomicLong records = new AtomicLong();
    final AtomicLong redelivered = new AtomicLong();
    final AtomicLong withoutIdentity = new AtomicLong();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    void onRecord(ConsumerRecord<byte[], byte[]> record) throws Exception {
      records.incrementAndGet();
      String part =
          header(record, KafkaSink.HEADER_SESSION)
              + "/"
              + header(record, KafkaSink.HEADER_SEQUENCE)
              + "/"
              + header(record, KafkaSink.HEADER_PART);
      if (!parts.add(part)) {
        redelivered.incrementAndGet();
        return;
      }
      // what the Collector's otlp_proto unmarshaler does: a protobuf-java parse of the value
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(record.value());
      for (ResourceSpans rs : request.getResourceSpansList()) {
        boolean tagged = false;
        for (KeyValue kv : rs.getResource().getAttributesList()) {
          tagged |= kv.getKey().equals("spantransport.peer.transport");
        }
        if (!tagged) {
          withoutIdentity.incrementAndGet();
        }
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span span : ss.getSpansList()) {
            long index = ByteBuffer.wrap(span.getSpanId().toByteArray()).getLong() - 1;
            long trace = ByteBuffer.wrap(span.getTraceId().toByteArray()).getLong(8);
            spanCopies.merge(index, 1, Integer::sum);
            tracePartitions
                .computeIfAbsent(trace, t -> ConcurrentHashMap.newKeySet())
                .add(record.partition());
          }
        }
      }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
      return new String(record.headers().lastHeader(name).value(), StandardCharsets.US_ASCII);
    }
  }

  /** Two consumers in one group read {@code topic} until {@code expected} distinct spans. */
  private static Seen consume(String topic, long expected, Duration timeout) throws Exception {
    Seen seen = new Seen();
    List<Thread> threads = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int c = 0; c < 2; c++) {
      Map<String, Object> config = new HashMap<>();
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      config.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + topic);
      config.put(ConsumerConfig.CLIENT_ID_CONFIG, "it-" + topic + "-" + c);
      config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      Thread t =
          new Thread(
              () -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
                  consumer.subscribe(List.of(topic));
                  while (seen.spanCopies.size() < expected
                      && System.nanoTime() - deadline < 0
                      && seen.error.get() == null) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                      seen.onRecord(r);
                    }
                  }
                } catch (Throwable e) {
                  seen.error.compareAndSet(null, e);
                }
              },
              "it-consumer-" + c);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(timeout.toMillis() + 30_000);
    }
    if (seen.error.get() != null) {
      throw new AssertionError("consumer failed", seen.error.get());
    }
    return seen;
  }

  private static void assertEverySpanOnce(Seen seen, int hosts, int guests, int spans) {
    long expected = (long) hosts * guests * spans;
    long missing = 0;
    long duplicated = 0;
    for (int g = 0; g < hosts * guests; g++) {
      for (int i = 0; i < spans; i++) {
        Integer copies = seen.spanCopies.get(KafkaGuestsMain.index(g, i));
        if (copies == null) {
          missing++;
        } else if (copies > 1) {
          duplicated++;
        }
      }
    }
    assertEquals(0, missing, "spans missing from Kafka");
    assertEquals(0, duplicated, "spans in two different batches");
    assertEquals(expected, seen.spanCopies.size(), "spans that no guest sent");
    assertEquals(0, seen.withoutIdentity.get(), "resources without the guest's identity");
  }

  private static void awaitGuestsDone(List<Host> hosts, int guests, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (sum(hosts, "done", true) < (long) hosts.size() * guests) {
      assertTrue(System.nanoTime() - deadline < 0, "guests not done within " + timeout);
      Thread.sleep(500);
    }
  }

  @Test
  void twoReceiversFanInAndAConsumerGroupReadsEverySpanOnceAcrossABrokerKillAndRestart()
      throws Exception {
    String topic = "otlp_spans";
    broker.createTopic(topic, 6);
    long expected = 2L * GUESTS * SPANS;
    List<Host> hosts = new ArrayList<>();
    try {
      hosts.add(host("host-a", topic, "none", 0, GUESTS, SPANS, 150));
      hosts.add(host("host-b", topic, "none", GUESTS, GUESTS, SPANS, 150));

      // mid-stream: a third of the spans acked by Kafka, through both hosts
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (sum(hosts, "acked", true) < expected / 3
          || hosts.get(0).guests().stats().get("acked") == 0
          || hosts.get(1).guests().stats().get("acked") == 0) {
        assertTrue(System.nanoTime() - deadline < 0, "a third of the spans not acked in 3 min");
        Thread.sleep(200);
      }
      broker.kill();
      // while Kafka is away: batches wait in the sinks, memory stays within the budget, and no
      // guest gets an ack (the first samples leave a second for acks already on their way)
      long maxPending = 0;
      long maxBuffered = 0;
      long maxHeap = 0;
      long ackedEarlyInOutage = 0;
      for (int i = 0; i < 10; i++) {
        Thread.sleep(300);
        if (i == 3) {
          ackedEarlyInOutage = sum(hosts, "acked", true);
        }
        for (Host h : hosts) {
          Map<String, Long> s = h.receiver().stats();
          maxPending = Math.max(maxPending, s.get("pendingBatches"));
          maxBuffered = Math.max(maxBuffered, s.get("bufferedBytes"));
          maxHeap = Math.max(maxHeap, s.get("heapUsed"));
          assertTrue(
              s.get("bufferedBytes") <= BUDGET,
              "receiver holds " + s.get("bufferedBytes") + " bytes, budget " + BUDGET);
        }
      }
      long ackedInOutage = sum(hosts, "acked", true) - ackedEarlyInOutage;
      broker.start();
      awaitGuestsDone(hosts, GUESTS, Duration.ofMinutes(5));

      Map<String, Long> totals = new HashMap<>();
      for (String k : List.of("exported", "acked", "dropped", "exportFailures", "unflushed")) {
        totals.put(k, sum(hosts, k, true));
      }
      long heapPeak = 0;
      for (Host h : hosts) {
        Map<String, Long> s = h.receiver().stats();
        heapPeak = Math.max(heapPeak, s.get("heapPeak"));
        assertEquals(0, s.get("batchesRejected"), "batches Kafka refused for good");
      }
      System.out.printf(
          "KafkaSinkIT kill/restart: %d spans, acked during the outage %d, sink batches pending"
              + " at most %d, receive buffers at most %d bytes (budget %d), receiver heap used at"
              + " most %d bytes in the outage, peak %d of 128 MiB%n",
          expected, ackedInOutage, maxPending, maxBuffered, BUDGET, maxHeap, heapPeak);
      assertEquals(0, totals.get("dropped"), "spans the guests dropped");
      assertEquals(0, totals.get("exportFailures"), "exports refused by the guests' windows");
      assertEquals(0, totals.get("unflushed"), "guests that could not flush");
      assertEquals(expected, totals.get("exported"));
      assertEquals(expected, totals.get("acked"));
      assertTrue(maxPending > 0, "no batch waited in a sink while Kafka was away");
      assertEquals(0, ackedInOutage, "spans acked to guests while Kafka was away");

      for (String name : List.of("host-a", "host-b")) {
        long refused =
            java.nio.file.Files.readAllLines(dir.resolve(name + "-receiver.log")).stream()
                .filter(l -> l.contains("Kafka did not take"))
                .count();
        System.out.printf(
            "KafkaSinkIT %s: %d (rate-limited) log lines on batches Kafka did not take%n",
            name, refused);
      }
      Seen seen = consume(topic, expected, Duration.ofMinutes(2));
      assertEverySpanOnce(seen, 2, GUESTS, SPANS);
      System.out.printf(
          "KafkaSinkIT consumer group: %d records, %d redelivered and dropped by header%n",
          seen.records.get(), seen.redelivered.get());
    } finally {
      for (Host h : hosts) {
        h.close();
      }
    }
  }

  @Test
  void keyedByTraceIdTwoReceiversOneOfThemTheForwarderPutEveryTraceInOnePartitionForTheConsumer()
      throws Exception {
    String topic = "otlp_spans_by_trace";
    broker.createTopic(topic, 6);
    int guests = 5;
    int spans = 300;
    long expected = 2L * guests * spans;
    List<Host> hosts = new ArrayList<>();
    try {
      long start = System.nanoTime();
      hosts.add(host("keyed-a", topic, "trace_id", 0, guests, spans, 0));
      // the second host is the forwarder, configured by its --kafka-* flags
      hosts.add(forwarderHost("keyed-b", topic, "trace_id", guests, guests, spans));
      awaitGuestsDone(hosts, guests, Duration.ofMinutes(3));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(0, sum(hosts, "dropped", true));
      assertEquals(expected, sum(hosts, "acked", true));

      Seen seen = consume(topic, expected, Duration.ofMinutes(2));
      assertEverySpanOnce(seen, 2, guests, spans);
      long traces = 0;
      for (Map.Entry<Long, Set<Integer>> trace : seen.tracePartitions.entrySet()) {
        assertEquals(1, trace.getValue().size(), "trace " + trace.getKey() + " partitions");
        traces++;
      }
      assertEquals(2L * guests * ((spans + 2) / 3), traces);
      Set<Integer> partitions = ConcurrentHashMap.newKeySet();
      seen.tracePartitions.values().forEach(partitions::addAll);
      assertEquals(6, partitions.size(), "partitions used");
      System.out.printf(
          "KafkaSinkIT trace_id keys: %d spans in %d traces over %d records, all in %.1f s"
              + " including JVM start-up%n",
          expected, traces, seen.records.get(), seconds);
    } finally {
      for (Host h : hosts) {
        h.close();
      }
    }
  }

  /** Realistic HTTP-server spans: 8 attributes and one event each, one shared resource. */
  private static List<SpanData> realisticSpans(int count) {
    Resource resource =
        Resource.create(
            Attributes.builder()
                .put("service.name", "checkout")
                .put("service.version", "1.4.2")
                .put("host.name", "guest-vm-07")
                .put("telemetry.sdk.language", "java")
                .put("process.pid", 4242L)
                .build());
    List<SpanData> spans = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long start = 1_717_200_000_000_000_000L + i * 1_000_000L;
      spans.add(
          TestSpanData.builder()
              .setResource(resource)
              .setSpanContext(
                  SpanContext.create(
                      String.format("%016x%016x", TestSpans.MARK, i / 4),
                      String.format("%016x", i + 1),
                      TraceFlags.getSampled(),
                      TraceState.getDefault()))
              .setName(i % 3 == 0 ? "POST /api/checkout" : "GET /api/cart")
              .setKind(SpanKind.SERVER)
              .setStartEpochNanos(start)
              .setEndEpochNanos(start + 2_500_000L)
              .setAttributes(
                  Attributes.builder()
                      .put("http.request.method", i % 3 == 0 ? "POST" : "GET")
                      .put("http.route", "/api/cart")
                      .put("url.full", "https://shop.example.com/api/cart?page=" + (i % 10))
                      .put("http.response.status_code", 200L)
                      .put("server.address", "shop.example.com")
                      .put("network.peer.port", 40_000L + i)
                      .put("retry", i % 11 == 0)
                      .put("app.cart.total", 12.5 + i)
                      .build())
              .setEvents(
                  List.of(
                      EventData.create(
                          start + 100_000L,
                          "cache.lookup",
                          Attributes.of(
                              AttributeKey.stringKey("cache.key"),
                              "cart:" + i,
                              AttributeKey.booleanKey("cache.hit"),
                              i % 2 == 0))))
              .setTotalRecordedEvents(1)
              .setStatus(StatusData.unset())
              .setHasEnded(true)
              .build());
    }
    return spans;
  }

  /**
   * The sink alone, fed as fast as Kafka acks (at most 256 batches pending): every batch lands as
   * exactly one record, and the rate is printed (the README's throughput figure).
   */
  @Test
  void kafkaSinkAloneWritesEachBatchAsExactlyOneRecordTheConsumerSideCounts() throws Exception {
    String topic = "otlp_spans_throughput";
    broker.createTopic(topic, 6);
    int batches = Integer.getInteger("kafka.throughput.batches", 500);
    int spansPerBatch = 100;
    byte[] payload = new OtlpSpanEncoder().encode(realisticSpans(spansPerBatch));
    PeerIdentity peer =
        PeerIdentity.create(
            "vsock",
            Attributes.of(AttributeKey.stringKey("spantransport.peer.transport"), "vsock"));
    String session = "00112233445566778899aabbccddeeff";
    KafkaSink sink =
        KafkaSink.builder().setBootstrapServers(broker.bootstrapServers()).setTopic(topic).build();
    try {
      // until the topic's metadata is known the sink refuses batches (max.block.ms=0)
      long warmed = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        CompletableResultCode r =
            sink.accept(
                SpanBatch.of(
                    peer,
                    peer.attributes(),
                    session,
                    ++warmed,
                    spansPerBatch,
                    payload,
                    0,
                    payload.length));
        if (r.join(30, TimeUnit.SECONDS).isSuccess()) {
          break;
        }
        assertTrue(System.nanoTime() - deadline < 0, "sink not writing within 60 s");
        Thread.sleep(100);
      }
      Semaphore window = new Semaphore(256);
      AtomicLong ok = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      long start = System.nanoTime();
      for (int i = 1; i <= batches; i++) {
        window.acquire();
        CompletableResultCode r =
            sink.accept(
                SpanBatch.of(
                    peer,
                    peer.attributes(),
                    session,
                    warmed + i,
                    spansPerBatch,
                    payload,
                    0,
                    payload.length));
        r.whenComplete(
            () -> {
              (r.isSuccess() ? ok : failed).incrementAndGet();
              window.release();
            });
      }
      assertTrue(window.tryAcquire(256, 2, TimeUnit.MINUTES), "batches pending after 2 min");
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(0, failed.get(), "batches Kafka did not take");
      assertEquals(batches, ok.get());
      long records = 0;
      try (Admin admin = broker.admin()) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < 6; p++) {
          latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        for (ListOffsetsResult.ListOffsetsResultInfo info :
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values()) {
          records += info.offset();
        }
      }
      assertEquals(batches + 1, records, "records in the topic (one warm-up batch included)");
      // a batch larger than max.request.size: refused for good by the real client, not resent
      KafkaSink small =
          KafkaSink.builder()
              .setBootstrapServers(broker.bootstrapServers())
              .setTopic(topic)
              .setProducerProperty("max.request.size", Integer.toString(payload.length / 2))
              .build();
      try {
        CompletableResultCode tooLarge = null;
        for (int attempt = 0; attempt < 300; attempt++) {
          tooLarge =
              small.accept(
                  SpanBatch.of(
                      peer,
                      peer.attributes(),
                      session,
                      1,
                      spansPerBatch,
                      payload,
                      0,
                      payload.length));
          tooLarge.join(30, TimeUnit.SECONDS);
          if (tooLarge.getFailureThrowable() != null) {
            break; // otherwise: metadata not known yet, a retryable failure
          }
          Thread.sleep(100);
        }
        assertTrue(
            tooLarge.getFailureThrowable() instanceof BatchRejectedException,
            "oversized batch failed with " + tooLarge.getFailureThrowable());
      } finally {
        small.shutdown().join(15, TimeUnit.SECONDS);
      }
      System.out.printf(
          "KafkaSinkIT throughput: %d spans (%d batches of %d, %d bytes of OTLP per span) into"
              + " the local broker in %.2f s: %.0f spans/s%n",
          (long) batches * spansPerBatch,
          batches,
          spansPerBatch,
          payload.length / spansPerBatch,
          seconds,
          batches * spansPerBatch / seconds);
    } finally {
      sink.shutdown().join(15, TimeUnit.SECONDS);
    }
  }
}
