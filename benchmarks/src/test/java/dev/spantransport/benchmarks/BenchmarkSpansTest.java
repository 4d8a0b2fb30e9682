package dev.spantransport.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BenchmarkSpansTest {

  @Test
  void variantZeroIsTheFixtureEveryOtherBenchmarkUses() {
    OtlpSpanEncoder encoder = new OtlpSpanEncoder();
    assertArrayEquals(
        encoder.encode(BenchmarkSpans.spans(64)), encoder.encode(BenchmarkSpans.spans(64, 0)));
  }

  @Test
  void variantsShareNoSpanIdAndNoEndTimestamp() {
    Set<String> spanIds = new HashSet<>();
    Set<Long> ends = new HashSet<>();
    for (int v = 0; v < DecodeBenchmark.DISTINCT; v++) {
      for (SpanData span : BenchmarkSpans.spans(16, v)) {
        spanIds.add(span.getSpanId());
        ends.add(span.getEndEpochNanos());
      }
    }
    assertEquals(16 * DecodeBenchmark.DISTINCT, spanIds.size());
    assertEquals(16 * DecodeBenchmark.DISTINCT, ends.size());
  }

  @Test
  void variantsRepeatLowCardinalityValues() {
    List<SpanData> a = BenchmarkSpans.spans(8, 1);
    List<SpanData> b = BenchmarkSpans.spans(8, 2);
    for (int i = 0; i < 8; i++) {
      assertEquals(a.get(i).getName(), b.get(i).getName());
      assertEquals(
          a.get(i)
              .getAttributes()
              .get(io.opentelemetry.api.common.AttributeKey.stringKey("url.full")),
          b.get(i)
              .getAttributes()
              .get(io.opentelemetry.api.common.AttributeKey.stringKey("url.full")));
      assertNotEquals(a.get(i).getTraceId(), b.get(i).getTraceId());
    }
  }

  @Test
  void decodeBenchmarkDecodesADifferentBatchEachOperationForSixtyFourOperations() throws Exception {
    DecodeBenchmark benchmark = new DecodeBenchmark();
    benchmark.decoder = "span-transport";
    benchmark.batchSize = 4;
    benchmark.setUp();
    Set<String> firstTraceIds = new HashSet<>();
    for (int i = 0; i < DecodeBenchmark.DISTINCT; i++) {
      @SuppressWarnings("unchecked")
      List<SpanData> spans = (List<SpanData>) benchmark.decodeBatch();
      assertEquals(4, spans.size());
      firstTraceIds.add(spans.get(0).getTraceId());
    }
    assertEquals(DecodeBenchmark.DISTINCT, firstTraceIds.size());
  }

  @Test
  void everyRotatedPayloadIsValidOtlpWithTheBatchSize() throws Exception {
    for (byte[] payload : DecodeBenchmark.payloads(32)) {
      assertEquals(32, OtlpSpanDecoder.countSpans(payload, 0, payload.length));
    }
  }
}
