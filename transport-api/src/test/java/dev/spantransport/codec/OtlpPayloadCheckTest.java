package dev.spantransport.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.spi.Signal;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.SpanLimits;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The public check a host runs on an untrusted peer's OTLP request, for every signal. */
class OtlpPayloadCheckTest {

  private static final String FORGED = AttributePolicy.RESERVED_PREFIX + "cid";

  private final OtlpPayloadCheck check = OtlpPayloadCheck.create(SpanLimits.getDefault(), 10);

  @Test
  void anHonestSpanRequestIsCountedAndNeedsNoRewrite() throws Exception {
    byte[] bytes = spans(3, SignalPayloads.string("app.key", "v")).toByteArray();
    assertEquals(3, check.countSpans(bytes, 0, bytes.length));
    assertFalse(check.needsRewrite());
  }

  @Test
  void aForgedIdentityOnASpanIsRemovedByTheRewrite() throws Exception {
    byte[] bytes =
        spans(2, SignalPayloads.string("app.key", "v"), SignalPayloads.string(FORGED, "3"))
            .toByteArray();
    assertEquals(2, check.countSpans(bytes, 0, bytes.length));
    assertTrue(check.needsRewrite());
    byte[] clean = check.rewriteSpans(bytes, 0, bytes.length);
    assertNotNull(clean);
    assertEquals(spans(2, SignalPayloads.string("app.key", "v")), parse(clean));
    assertEquals(2, check.stripped());
  }

  @Test
  void spansAreCountedInFullWhateverTheItemLimit() throws Exception {
    byte[] bytes = spans(25).toByteArray();
    assertEquals(25, check.countSpans(bytes, 0, bytes.length));
    assertFalse(check.overLimit());
  }

  @Test
  void spansOverTheSpanLimitsAreCutByTheRewrite() throws Exception {
    OtlpPayloadCheck limited =
        OtlpPayloadCheck.create(SpanLimits.builder().setMaxNumberOfAttributes(1).build(), 10);
    byte[] bytes =
        spans(1, SignalPayloads.string("a", "1"), SignalPayloads.string("b", "2")).toByteArray();
    assertEquals(1, limited.countSpans(bytes, 0, bytes.length));
    assertTrue(limited.needsRewrite());
    byte[] cut = limited.rewriteSpans(bytes, 0, bytes.length);
    Span span = parse(cut).getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertEquals(1, span.getAttributesCount());
    assertEquals(1, span.getDroppedAttributesCount());
    assertEquals(1, limited.droppedAttributes());
  }

  @Test
  void logRecordsOverTheItemLimitAreRefusedAndSaySo() throws Exception {
    byte[] bytes = SignalPayloads.logs(3, 4).toByteArray();
    MalformedPayloadException e =
        assertThrows(
            MalformedPayloadException.class,
            () -> check.countItems(Signal.LOGS, bytes, 0, bytes.length));
    assertTrue(check.overLimit(), e.getMessage());
    byte[] fewer = SignalPayloads.logs(2, 4).toByteArray();
    assertEquals(8, check.countItems(Signal.LOGS, fewer, 0, fewer.length));
    assertFalse(check.overLimit());
  }

  @Test
  void aForgedIdentityOnALogRecordIsNoticedAndTheNextHonestRequestClearsIt() throws Exception {
    byte[] forged =
        SignalPayloads.logsOf(SignalPayloads.logRecord(1, SignalPayloads.string(FORGED, "3")))
            .toByteArray();
    assertEquals(1, check.countItems(Signal.LOGS, forged, 0, forged.length));
    assertTrue(check.needsRewrite());
    byte[] honest = SignalPayloads.metricsOfEveryType().toByteArray();
    assertEquals(6, check.countItems(Signal.METRICS, honest, 0, honest.length));
    assertFalse(check.needsRewrite());
  }

  @Test
  void malformedBytesAreRefusedForEverySignal() {
    byte[] junk = {(byte) 0x0a, (byte) 0x7f, 1};
    assertThrows(MalformedPayloadException.class, () -> check.countSpans(junk, 0, junk.length));
    for (Signal signal : new Signal[] {Signal.LOGS, Signal.METRICS}) {
      assertThrows(
          MalformedPayloadException.class, () -> check.countItems(signal, junk, 0, junk.length));
      assertFalse(check.overLimit());
    }
  }

  @Test
  void tracesAreNotCountedAsItemsAndTheLimitMustAllowOne() throws Exception {
    assertThrows(
        IllegalArgumentException.class, () -> check.countItems(Signal.TRACES, new byte[0], 0, 0));
    assertThrows(
        IllegalArgumentException.class, () -> OtlpPayloadCheck.create(SpanLimits.getDefault(), 0));
    byte[] honest = spans(1).toByteArray();
    assertEquals(1, check.countSpans(honest, 0, honest.length));
    assertNull(check.rewriteSpans(honest, 0, honest.length), "nothing to rewrite");
    assertTrue(check.toString().contains("maxItems=10"), check.toString());
  }

  private static ExportTraceServiceRequest spans(int count, KeyValue... attributes) {
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = 0; i < count; i++) {
      byte[] spanId = new byte[8];
      spanId[7] = (byte) (i + 1);
      scope.addSpans(
          Span.newBuilder()
              .setTraceId(
                  ByteString.copyFrom(
                      new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
              .setSpanId(ByteString.copyFrom(spanId))
              .setName("s" + i)
              .addAllAttributes(List.of(attributes)));
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(scope))
        .build();
  }

  private static ExportTraceServiceRequest parse(byte[] bytes) throws Exception {
    return ExportTraceServiceRequest.parseFrom(bytes);
  }
}
