package dev.spantransport.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndToEndBenchmarkTest {

  @ParameterizedTest
  @ValueSource(strings = {"span-transport", "raw-socket", "otlp-http", "otlp-grpc"})
  void everyPathAnswersExactlyTheSpansItSentAndCountsNoMore(String path) throws Exception {
    EndToEndBenchmark benchmark = new EndToEndBenchmark();
    benchmark.batchSize = 16;
    benchmark.guests = 2;
    benchmark.path = path;
    benchmark.setUp();
    try {
      EndToEndBenchmark.Counters counters = new EndToEndBenchmark.Counters();
      for (int i = 0; i < 3 * EndToEndBenchmark.DEPTH; i++) {
        benchmark.deliver(counters);
        // the counter is what was answered when the operation ended: never more than was sent,
        // and never more than DEPTH batches per guest behind it
        assertTrue(counters.spans <= benchmark.sentSpans(), path + ": " + counters.spans);
        assertTrue(
            counters.spans >= benchmark.sentSpans() - 2L * EndToEndBenchmark.DEPTH * 16,
            path + ": " + counters.spans);
        assertEquals(0, counters.spans % 16);
      }
      benchmark.drainIteration();
      assertEquals(3 * EndToEndBenchmark.DEPTH * 2 * 16, benchmark.sentSpans());
      assertEquals(benchmark.sentSpans(), benchmark.answeredSpans());
    } finally {
      benchmark.tearDown();
    }
  }
}
