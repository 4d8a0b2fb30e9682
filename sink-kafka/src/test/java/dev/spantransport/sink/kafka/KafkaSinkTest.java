package dev.spantransport.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.BatchRejectedException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KafkaSinkTest {

  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
  private KafkaSink sink;

  private KafkaSink sink(boolean byTraceId) {
    sink =
        KafkaSink.builder()
            .setPartitionByTraceId(byTraceId)
            .setProducerFactory(config -> producer)
            .build();
    return sink;
  }

  @AfterEach
  void close() {
    if (sink != null) {
      sink.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.US_ASCII);
  }

  private static List<String> resourceKeys(ResourceSpans rs) {
    List<String> keys = new ArrayList<>();
    for (KeyValue kv : rs.getResource().getAttributesList()) {
      keys.add(kv.getKey());
    }
    return keys;
  }

  @Test
  void batchSucceedsOnlyOnceKafkaAckedItsRecord() {
    CompletableResultCode result = sink(false).accept(Requests.batch(Requests.threeTraces(), 1));

    assertFalse(result.isDone(), "completed before Kafka answered");
    assertEquals(1, sink.pendingBatches());
    assertTrue(producer.completeNext());
    assertTrue(result.isSuccess());
    assertEquals(0, sink.pendingBatches());
    assertEquals(1, sink.recordsAcked());
  }

  @Test
  void recordIsTheIdentityTaggedRequestOnOtlpSpansWithSessionAndSequenceHeaders() throws Exception {
    sink(false).accept(Requests.batch(Requests.threeTraces(), 7));

    assertEquals(1, producer.history().size());
    ProducerRecord<byte[], byte[]> record = producer.history().get(0);
    assertEquals("otlp_spans", record.topic());
    assertNull(record.key());
    assertNull(record.partition());
    assertEquals(Requests.SESSION, header(record, KafkaSink.HEADER_SESSION));
    assertEquals("7", header(record, KafkaSink.HEADER_SEQUENCE));
    assertEquals("1/1", header(record, KafkaSink.HEADER_PART));
    // the Collector's otlp_proto unmarshaler is a plain ExportTraceServiceRequest parse
    ExportTraceServiceRequest value = ExportTraceServiceRequest.parseFrom(record.value());
    assertEquals(2, value.getResourceSpansCount());
    // the forged CID is gone, the socket's identity is in every resource
    for (int i = 0; i < 2; i++) {
      ResourceSpans rs = value.getResourceSpans(i);
      assertEquals(
          Set.of("service.name", "spantransport.peer.transport", "spantransport.peer.cid"),
          Set.copyOf(resourceKeys(rs)));
      assertEquals(3, rs.getResource().getAttributesCount());
      for (KeyValue kv : rs.getResource().getAttributesList()) {
        if (kv.getKey().equals("spantransport.peer.cid")) {
          assertEquals(42L, kv.getValue().getIntValue());
        }
      }
    }
    // apart from the resources, the request is the guest's
    ExportTraceServiceRequest sent = Requests.threeTraces();
    for (int i = 0; i < 2; i++) {
      assertEquals(
          sent.getResourceSpans(i).getScopeSpansList(),
          value.getResourceSpans(i).getScopeSpansList());
    }
  }

  @Test
  void keyedByTraceIdOneRecordPerTraceKeyedByItsHexTraceId() throws Exception {
    CompletableResultCode result = sink(true).accept(Requests.batch(Requests.threeTraces(), 3));

    List<ProducerRecord<byte[], byte[]>> records = producer.history();
    assertEquals(3, records.size());
    List<String> keys = new ArrayList<>();
    int spans = 0;
    for (int i = 0; i < 3; i++) {
      ProducerRecord<byte[], byte[]> record = records.get(i);
      String key = new String(record.key(), StandardCharsets.US_ASCII);
      keys.add(key);
      assertEquals("3", header(record, KafkaSink.HEADER_SEQUENCE));
      assertEquals((i + 1) + "/3", header(record, KafkaSink.HEADER_PART));
      ExportTraceServiceRequest value = ExportTraceServiceRequest.parseFrom(record.value());
      for (ResourceSpans rs : value.getResourceSpansList()) {
        assertTrue(resourceKeys(rs).contains("spantransport.peer.cid"));
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span span : ss.getSpansList()) {
            assertEquals(key, HexFormat.of().formatHex(span.getTraceId().toByteArray()));
            spans++;
          }
        }
      }
    }
    assertEquals(
        List.of(
            HexFormat.of().formatHex(Requests.traceId(1)),
            HexFormat.of().formatHex(Requests.traceId(2)),
            HexFormat.of().formatHex(Requests.traceId(3))),
        keys);
    assertEquals(7, spans);
    assertTrue(producer.completeNext());
    assertTrue(producer.completeNext());
    assertFalse(result.isDone(), "completed before Kafka acked every record of the batch");
    assertTrue(producer.completeNext());
    assertTrue(result.isSuccess());
  }

  @Test
  void oneRecordKafkaDidNotTakeFailsTheWholeBatchForResending() {
    CompletableResultCode result = sink(true).accept(Requests.batch(Requests.threeTraces(), 3));

    assertTrue(producer.completeNext());
    assertTrue(producer.errorNext(new TimeoutException("Expiring 1 record(s)")));
    assertTrue(producer.completeNext());
    assertTrue(result.isDone());
    assertFalse(result.isSuccess());
    assertFalse(result.getFailureThrowable() instanceof BatchRejectedException);
    assertEquals(1, sink.batchesFailed());
  }

  @Test
  void kafkaAwayIsARetryableFailureNotARejection() {
    CompletableResultCode result = sink(false).accept(Requests.batch(Requests.threeTraces(), 1));

    assertTrue(
        producer.errorNext(new TimeoutException("Topic otlp_spans not present in metadata")));
    assertFalse(result.isSuccess());
    assertNull(result.getFailureThrowable());
    assertEquals(1, sink.batchesFailed());
    assertEquals(0, sink.batchesRejected());
  }

  @Test
  void recordTooLargeRejectsTheBatchForGood() {
    CompletableResultCode result = sink(false).accept(Requests.batch(Requests.threeTraces(), 5));

    assertTrue(producer.errorNext(new RecordTooLargeException("The message is 2000000 bytes")));
    assertFalse(result.isSuccess());
    BatchRejectedException rejected =
        assertInstanceOf(BatchRejectedException.class, result.getFailureThrowable());
    assertTrue(rejected.getMessage().contains("batch 5"), rejected.getMessage());
    assertInstanceOf(RecordTooLargeException.class, rejected.getCause());
    assertEquals(1, sink.batchesRejected());
  }

  @Test
  void malformedPayloadIsRejectedForGoodAndNothingIsSent() {
    byte[] garbage = {0x0a, 0x7f, 0x01};
    CompletableResultCode result = sink(false).accept(Requests.batch(garbage, 9, 1));

    assertInstanceOf(BatchRejectedException.class, result.getFailureThrowable());
    assertEquals(0, producer.history().size());
  }

  @Test
  void afterShutdownBatchesAreRefused() {
    sink(false);
    assertTrue(sink.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    assertTrue(producer.closed());

    CompletableResultCode result = sink.accept(Requests.batch(Requests.threeTraces(), 1));
    assertTrue(result.isDone());
    assertFalse(result.isSuccess());
    assertEquals(0, producer.history().size());
  }

  @Test
  void flushCompletesWhenKafkaAnsweredEveryPendingBatch() {
    sink(false);
    CompletableResultCode first = sink.accept(Requests.batch(Requests.threeTraces(), 1));
    CompletableResultCode second = sink.accept(Requests.batch(Requests.threeTraces(), 2));
    CompletableResultCode flushed = sink.flush();

    assertFalse(flushed.isDone());
    producer.completeNext();
    assertFalse(flushed.isDone());
    producer.errorNext(new TimeoutException("expired"));
    assertTrue(flushed.isSuccess());
    assertTrue(first.isSuccess());
    assertFalse(second.isSuccess());
  }

  /**
   * With no broker at all, accept() returns at once with a retryable failure: the producer may not
   * wait for metadata on the receiver's I/O thread. With Kafka's default max.block.ms (60 s) this
   * test would hit its timeout.
   */
  @Test
  @Timeout(30)
  void acceptDoesNotWaitForAnAbsentBroker() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    sink =
        KafkaSink.builder()
            .setBootstrapServers("127.0.0.1:" + port)
            .setProducerProperty("reconnect.backoff.ms", "1000")
            .build();
    for (int i = 1; i <= 3; i++) {
      CompletableResultCode result = sink.accept(Requests.batch(Requests.threeTraces(), i));
      assertTrue(result.isDone(), "accept returned with a pending result, batch " + i);
      assertFalse(result.isSuccess());
      assertFalse(result.getFailureThrowable() instanceof BatchRejectedException);
    }
    assertEquals(3, sink.batchesFailed());
  }
}
