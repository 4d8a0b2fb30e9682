package dev.spantransport.sink.kafka;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpResourceRewriter;
import dev.spantransport.codec.OtlpTraceSplitter;
import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A {@link SpanSink} that writes each batch to Apache Kafka as OTLP protobuf, in the form the
 * OpenTelemetry Collector's {@code kafka} receiver reads with {@code encoding: otlp_proto}.
 *
 * <h2>Records</h2>
 *
 * By default each batch becomes one record on topic {@value #DEFAULT_TOPIC}, without a key, whose
 * value is the batch's {@code ExportTraceServiceRequest} bytes tagged with the guest's {@linkplain
 * SpanBatch#identity() identity} (the same rewrite {@code OtlpHttpSink} applies; nothing else is
 * decoded or changed). With {@linkplain KafkaSinkBuilder#setPartitionByTraceId partitioning by
 * trace id}, a batch becomes one record per trace, keyed by the trace id as 32 lowercase hex
 * digits, as the Collector's exporter does with {@code partition_traces_by_id}. Every record
 * carries three headers (UTF-8 text) so that consumers can drop a batch delivered twice: {@value
 * #HEADER_SESSION} (the guest's session id), {@value #HEADER_SEQUENCE} (the batch's sequence in
 * that session) and {@value #HEADER_PART} ({@code i/n}: the record's place among the batch's
 * records). A consumer that remembers which (session, sequence, part) it has processed sees every
 * span once.
 *
 * <h2>Delivery</h2>
 *
 * The producer is idempotent with {@code acks=all}. A batch's result succeeds only once Kafka
 * acknowledged all its records; only then does the receiver ack the batch to its guest. While Kafka
 * is slow or away the results stay pending within the producer's {@code delivery.timeout.ms} (the
 * receiver stops reading that guest once its window is full: backpressure), and fail (retryable:
 * the guest resends) when that runs out, when the producer's {@code buffer.memory} is full, or
 * before the topic's metadata is known. A batch Kafka can never take (larger than {@code
 * max.request.size} or the topic's {@code max.message.bytes}, or malformed) fails with {@link
 * BatchRejectedException}, so the receiver rejects it for good instead of having it resent forever.
 * Nothing is dropped silently.
 *
 * <h2>Threading</h2>
 *
 * {@link #accept} only rewrites the payload and appends records to the producer's buffer: with
 * {@code max.block.ms} at 0 (at most {@value KafkaSinkBuilder#MAX_BLOCK_MS_LIMIT} ms if set) it
 * never waits for a broker, for metadata or for buffer space. Results complete on the producer's
 * network thread.
 */
public final class KafkaSink implements SpanSink {

  /** The default topic, the one the Collector's {@code kafka} receiver reads traces from. */
  public static final String DEFAULT_TOPIC = "otlp_spans";

  /** Header holding the guest's session id, 32 lowercase hex digits. */
  public static final String HEADER_SESSION = "spantransport.session";

  /** Header holding the batch's sequence within its session, in decimal. */
  public static final String HEADER_SEQUENCE = "spantransport.sequence";

  /** Header holding the record's place among its batch's records, {@code i/n}, from {@code 1/n}. */
  public static final String HEADER_PART = "spantransport.part";

  private static final Logger baseLogger = Logger.getLogger(KafkaSink.class.getName());
  private static final RateLimitedLogger logger = new RateLimitedLogger(baseLogger, 5, 60_000);
  private static final int MAX_CACHED_REWRITERS = 8192;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final boolean partitionByTraceId;
  private final String description;
  private final Map<Attributes, OtlpResourceRewriter> rewriters = new ConcurrentHashMap<>();
  private final Set<CompletableResultCode> pending = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean shutdown = new AtomicBoolean();
  private final AtomicLong recordsAcked = new AtomicLong();
  private final AtomicLong batchesFailed = new AtomicLong();
  private final AtomicLong batchesRejected = new AtomicLong();

  KafkaSink(
      Producer<byte[], byte[]> producer,
      String topic,
      boolean partitionByTraceId,
      String description) {
    this.producer = producer;
    this.topic = topic;
    this.partitionByTraceId = partitionByTraceId;
    this.description = description;
    // Ask for the topic's metadata now, in the background: with max.block.ms=0 a send fails until
    // it is known, so the first batches would otherwise all be refused once.
    try {
      producer.partitionsFor(topic);
    } catch (RuntimeException e) {
      // expected while no broker has answered yet; the producer keeps fetching
    }
  }

  /**
   * Returns a builder with the defaults: brokers {@value
   * KafkaSinkBuilder#DEFAULT_BOOTSTRAP_SERVERS}, topic {@value #DEFAULT_TOPIC}, no record key.
   *
   * @return a new builder
   */
  public static KafkaSinkBuilder builder() {
    return new KafkaSinkBuilder();
  }

  /**
   * Tags the payload with the guest's identity and hands its record(s) to the producer. Never
   * blocks. The result succeeds once Kafka acknowledged every record of the batch; it fails with
   * {@link BatchRejectedException} if the batch can never be written, and without an exception if
   * it may succeed later.
   */
  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    if (shutdown.get()) {
      return CompletableResultCode.ofFailure();
    }
    List<byte[]> values;
    List<byte[]> keys;
    try {
      OtlpResourceRewriter rewriter = rewriterFor(batch.identity());
      byte[] body =
          new byte[rewriter.rewrittenLength(batch.buffer(), batch.offset(), batch.length())];
      rewriter.rewrite(batch.buffer(), batch.offset(), batch.length(), body, 0);
      if (partitionByTraceId) {
        List<OtlpTraceSplitter.Piece> pieces = OtlpTraceSplitter.split(body, 0, body.length);
        values = new ArrayList<>(pieces.size());
        keys = new ArrayList<>(pieces.size());
        for (OtlpTraceSplitter.Piece piece : pieces) {
          values.add(piece.request());
          keys.add(piece.traceIdHex().getBytes(StandardCharsets.US_ASCII));
        }
      } else {
        values = List.of(body);
        keys = null;
      }
    } catch (MalformedPayloadException e) {
      batchesRejected.incrementAndGet();
      String message =
          "malformed OTLP payload in batch " + batch.sequence() + ": " + e.getMessage();
      logger.log(Level.WARNING, message + " from " + batch.peer(), null);
      return CompletableResultCode.ofExceptionalFailure(new BatchRejectedException(message, e));
    }
    if (values.isEmpty()) {
      return CompletableResultCode.ofSuccess(); // no spans, nothing to write
    }
    CompletableResultCode result = new CompletableResultCode();
    pending.add(result);
    Outcome outcome = new Outcome(batch, values.size(), result);
    byte[] session = batch.sessionId().getBytes(StandardCharsets.US_ASCII);
    byte[] sequence = Long.toString(batch.sequence()).getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < values.size(); i++) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(HEADER_SESSION, session);
      headers.add(HEADER_SEQUENCE, sequence);
      headers.add(HEADER_PART, ((i + 1) + "/" + values.size()).getBytes(StandardCharsets.US_ASCII));
      ProducerRecord<byte[], byte[]> record =
          new ProducerRecord<>(
              topic, null, keys == null ? null : keys.get(i), values.get(i), headers);
      try {
        producer.send(record, (metadata, error) -> outcome.done(error));
      } catch (RuntimeException e) {
        // a closed producer, or one in a fatal state; the records not sent count as failed
        for (int j = i; j < values.size(); j++) {
          outcome.done(e);
        }
        break;
      }
    }
    return result;
  }

  private OtlpResourceRewriter rewriterFor(Attributes identity) {
    // One rewriter per guest identity: it encodes the identity attributes once.
    OtlpResourceRewriter rewriter = rewriters.get(identity);
    if (rewriter == null) {
      if (rewriters.size() >= MAX_CACHED_REWRITERS) {
        rewriters.clear();
      }
      rewriter =
          new OtlpResourceRewriter(
              identity, key -> key.startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX));
      rewriters.put(identity, rewriter);
    }
    return rewriter;
  }

  /** Whether Kafka can never take this record, however often it is resent. */
  static boolean isPermanent(Exception error) {
    return error instanceof RecordTooLargeException
        || error instanceof RecordBatchTooLargeException
        || error instanceof InvalidRecordException;
  }

  /** Collects the outcomes of one batch's records and completes its result once. */
  private final class Outcome {
    private final String source;
    private final long sequence;
    private final AtomicInteger left;
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private final AtomicReference<Exception> permanent = new AtomicReference<>();
    private final CompletableResultCode result;

    Outcome(SpanBatch batch, int records, CompletableResultCode result) {
      this.source = String.valueOf(batch.peer());
      this.sequence = batch.sequence();
      this.left = new AtomicInteger(records);
      this.result = result;
    }

    void done(Exception error) {
      if (error == null) {
        recordsAcked.incrementAndGet();
      } else {
        firstError.compareAndSet(null, error);
        if (isPermanent(error)) {
          permanent.compareAndSet(null, error);
        }
      }
      if (left.decrementAndGet() != 0) {
        return;
      }
      pending.remove(result);
      Exception rejected = permanent.get();
      Exception failed = firstError.get();
      if (rejected != null) {
        batchesRejected.incrementAndGet();
        String message = "Kafka refused batch " + sequence + " for good: " + rejected.getMessage();
        logger.log(Level.WARNING, message + " (from " + source + ")", null);
        result.failExceptionally(new BatchRejectedException(message, rejected));
      } else if (failed != null) {
        batchesFailed.incrementAndGet();
        logger.log(
            Level.WARNING,
            "Kafka did not take batch "
                + sequence
                + " from "
                + source
                + " (the guest resends it): "
                + failed,
            null);
        result.fail();
      } else {
        result.succeed();
      }
    }
  }

  /** Returns the number of batches whose records Kafka has not answered for yet. */
  public int pendingBatches() {
    return pending.size();
  }

  /** Returns the number of records Kafka acknowledged so far. */
  public long recordsAcked() {
    return recordsAcked.get();
  }

  /** Returns the number of batches that failed and may be resent (Kafka away, buffer full...). */
  public long batchesFailed() {
    return batchesFailed.get();
  }

  /** Returns the number of batches refused for good (too large, malformed). */
  public long batchesRejected() {
    return batchesRejected.get();
  }

  /**
   * Completes when every batch accepted so far has its answer from Kafka (success or failure).
   * Records leave the producer's buffer after {@code linger.ms} on their own, so nothing here
   * blocks or forces a send.
   */
  @Override
  public CompletableResultCode flush() {
    CompletableResultCode result = new CompletableResultCode();
    CompletableResultCode.ofAll(new ArrayList<>(pending)).whenComplete(result::succeed);
    return result;
  }

  /**
   * Refuses new batches, waits up to 10 s for Kafka to answer for the pending ones, then closes the
   * producer (failing what is still unanswered). A second call succeeds at once.
   */
  @Override
  public CompletableResultCode shutdown() {
    if (!shutdown.compareAndSet(false, true)) {
      baseLogger.log(Level.INFO, "shutdown called twice; ignoring");
      return CompletableResultCode.ofSuccess();
    }
    CompletableResultCode result = new CompletableResultCode();
    Thread closer =
        new Thread(
            () -> {
              try {
                producer.close(CLOSE_TIMEOUT);
              } catch (RuntimeException e) {
                baseLogger.log(Level.WARNING, "closing the Kafka producer failed", e);
              } finally {
                result.succeed();
              }
            },
            "kafka-sink-close");
    closer.setDaemon(true);
    closer.start();
    return result;
  }

  @Override
  public String toString() {
    return "KafkaSink" + description;
  }
}
