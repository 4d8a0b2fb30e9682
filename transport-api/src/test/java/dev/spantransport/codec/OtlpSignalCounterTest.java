package dev.spantransport.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.spantransport.codec.internal.OtlpSignalCounter;
import dev.spantransport.spi.Signal;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OtlpSignalCounterTest {

  private final OtlpSignalCounter counter = new OtlpSignalCounter(1_000);

  @Test
  void countsLogRecordsOverEveryResourceAndScope() throws Exception {
    byte[] bytes = SignalPayloads.logs(3, 4).toByteArray();
    assertEquals(12, counter.count(Signal.LOGS, bytes, 0, bytes.length));
    assertFalse(counter.hasReservedKeys());
  }

  @Test
  void countsMetricDataPointsOfEveryMetricType() throws Exception {
    byte[] bytes = SignalPayloads.metricsOfEveryType().toByteArray();
    assertEquals(6, counter.count(Signal.METRICS, bytes, 0, bytes.length));
    assertFalse(counter.hasReservedKeys());
  }

  @Test
  void countsAPayloadAtAnOffsetInALargerBuffer() throws Exception {
    byte[] payload = SignalPayloads.logs(1, 2).toByteArray();
    byte[] buffer = new byte[payload.length + 10];
    System.arraycopy(payload, 0, buffer, 7, payload.length);
    assertEquals(2, counter.count(Signal.LOGS, buffer, 7, payload.length));
  }

  @Test
  void notesAForgedIdentityKeyOnALogRecord() throws Exception {
    ExportLogsServiceRequest request =
        SignalPayloads.logsOf(
            SignalPayloads.logRecord(1, SignalPayloads.string("spantransport.peer.cid", "7")));
    byte[] bytes = request.toByteArray();
    assertEquals(1, counter.count(Signal.LOGS, bytes, 0, bytes.length));
    assertTrue(counter.hasReservedKeys());
  }

  @Test
  void notesAForgedIdentityKeyDeepInAMetricPointsKeyValueList() throws Exception {
    KeyValue nested =
        KeyValue.newBuilder()
            .setKey("outer")
            .setValue(
                AnyValue.newBuilder()
                    .setKvlistValue(
                        KeyValueList.newBuilder()
                            .addValues(SignalPayloads.string("spantransport.peer.uid", "0"))))
            .build();
    byte[] bytes = SignalPayloads.metricsOfEveryType(nested).toByteArray();
    assertEquals(6, counter.count(Signal.METRICS, bytes, 0, bytes.length));
    assertTrue(counter.hasReservedKeys());
  }

  @Test
  void rejectsMoreItemsThanTheLimitNamingIt() {
    byte[] bytes = SignalPayloads.logs(2, 3).toByteArray();
    MalformedPayloadException e =
        assertThrows(
            MalformedPayloadException.class,
            () -> new OtlpSignalCounter(5).count(Signal.LOGS, bytes, 0, bytes.length));
    assertTrue(e.getMessage().contains("at most 5 items"), e.getMessage());
  }

  @Test
  void rejectsATraceIdOfTheWrongSize() {
    LogRecord bad =
        SignalPayloads.logRecord(1).toBuilder()
            .setTraceId(ByteString.copyFrom(new byte[5]))
            .build();
    byte[] bytes =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder().addLogRecords(bad)))
            .build()
            .toByteArray();
    MalformedPayloadException e =
        assertThrows(
            MalformedPayloadException.class,
            () -> counter.count(Signal.LOGS, bytes, 0, bytes.length));
    assertTrue(
        e.getMessage().contains("LogRecord.trace_id must be 0 or 16 bytes: 5"), e.getMessage());
  }

  @Test
  void rejectsAnyValueNestedTooDeep() {
    AnyValue value = AnyValue.newBuilder().setStringValue("x").build();
    for (int i = 0; i < 200; i++) {
      value =
          AnyValue.newBuilder()
              .setKvlistValue(
                  KeyValueList.newBuilder()
                      .addValues(KeyValue.newBuilder().setKey("k").setValue(value)))
              .build();
    }
    LogRecord deep = SignalPayloads.logRecord(1).toBuilder().setBody(value).build();
    byte[] bytes =
        ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(
                ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder().addLogRecords(deep)))
            .build()
            .toByteArray();
    MalformedPayloadException e =
        assertThrows(
            MalformedPayloadException.class,
            () -> counter.count(Signal.LOGS, bytes, 0, bytes.length));
    assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
  }

  @Test
  void rejectsALengthPastItsMessage() {
    byte[] bytes = SignalPayloads.logs(1, 1).toByteArray();
    bytes[1] = (byte) (bytes[1] + 1); // the resource_logs length now runs one byte past the end
    MalformedPayloadException e =
        assertThrows(
            MalformedPayloadException.class,
            () -> counter.count(Signal.LOGS, bytes, 0, bytes.length));
    assertTrue(
        e.getMessage().contains("ExportLogsServiceRequest.resource_logs length"), e.getMessage());
  }

  @Test
  void refusesToCountSpans() {
    assertThrows(
        IllegalArgumentException.class, () -> counter.count(Signal.TRACES, new byte[0], 0, 0));
  }

  /**
   * Fuzz: truncations and random byte flips of valid logs and metrics requests either fail with
   * MalformedPayloadException or are accepted; whatever is accepted and parses with protobuf-java
   * holds exactly the counted items.
   */
  @Test
  void mutatedLogsAndMetricsPayloadsNeverEscapeAsAnythingButMalformedPayload() {
    Random random = new Random(13);
    byte[][] seeds = {
      SignalPayloads.logs(2, 3).toByteArray(), SignalPayloads.metricsOfEveryType().toByteArray()
    };
    Signal[] signals = {Signal.LOGS, Signal.METRICS};
    int accepted = 0;
    for (int s = 0; s < seeds.length; s++) {
      byte[] seed = seeds[s];
      for (int cut = 0; cut < seed.length; cut++) {
        accepted += check(signals[s], java.util.Arrays.copyOf(seed, cut));
      }
      for (int round = 0; round < 5_000; round++) {
        byte[] mutated = seed.clone();
        int flips = 1 + random.nextInt(3);
        for (int f = 0; f < flips; f++) {
          mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
        }
        accepted += check(signals[s], mutated);
      }
    }
    assertTrue(accepted > 0, "some mutations must stay valid");
  }

  private int check(Signal signal, byte[] bytes) {
    int n;
    try {
      n = counter.count(signal, bytes, 0, bytes.length);
    } catch (MalformedPayloadException e) {
      return 0;
    }
    int parsed;
    try {
      parsed = signal == Signal.LOGS ? logRecords(bytes) : dataPoints(bytes);
    } catch (InvalidProtocolBufferException e) {
      return 1; // e.g. a string made invalid UTF-8: we do not check that, protobuf does
    }
    assertEquals(parsed, n);
    return 1;
  }

  private static int logRecords(byte[] bytes) throws InvalidProtocolBufferException {
    int n = 0;
    for (ResourceLogs r : ExportLogsServiceRequest.parseFrom(bytes).getResourceLogsList()) {
      for (ScopeLogs s : r.getScopeLogsList()) {
        n += s.getLogRecordsCount();
      }
    }
    return n;
  }

  private static int dataPoints(byte[] bytes) throws InvalidProtocolBufferException {
    int n = 0;
    for (var r : ExportMetricsServiceRequest.parseFrom(bytes).getResourceMetricsList()) {
      for (var s : r.getScopeMetricsList()) {
        for (var m : s.getMetricsList()) {
          n +=
              m.getGauge().getDataPointsCount()
                  + m.getSum().getDataPointsCount()
                  + m.getHistogram().getDataPointsCount()
                  + m.getExponentialHistogram().getDataPointsCount()
                  + m.getSummary().getDataPointsCount();
        }
      }
    }
    return n;
  }
}
