package dev.spantransport.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AckCounterTest {

  @TempDir Path dir;

  @Test
  void seesOneIncrementPerAckedBatchWithItsSpanCountAndNothingElse() throws Exception {
    AtomicLong sinkSpans = new AtomicLong();
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint("unix:" + dir.resolve("r.sock"))
            .addSink(
                new SpanSink() {
                  @Override
                  public CompletableResultCode accept(SpanBatch batch) {
                    sinkSpans.addAndGet(batch.spanCount());
                    return CompletableResultCode.ofSuccess();
                  }

                  @Override
                  public CompletableResultCode shutdown() {
                    return CompletableResultCode.ofSuccess();
                  }
                })
            .build();
    assertTrue(receiver.start().join(10, TimeUnit.SECONDS).isSuccess());
    List<Long> increments = new CopyOnWriteArrayList<>();
    VsockSpanExporter exporter =
        VsockSpanExporter.builder()
            .setEndpoint("unix:" + dir.resolve("r.sock"))
            .setMeterProvider(new AckCounter(increments::add))
            .build();
    try {
      assertTrue(exporter.export(BenchmarkSpans.spans(10, 1)).isSuccess());
      assertTrue(exporter.export(BenchmarkSpans.spans(20, 2)).isSuccess());
      assertTrue(exporter.export(BenchmarkSpans.spans(30, 3)).isSuccess());
      assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess());
      assertEquals(List.of(10L, 20L, 30L), increments);
      assertEquals(60, sinkSpans.get());
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
      receiver.shutdown().join(10, TimeUnit.SECONDS);
    }
  }
}
