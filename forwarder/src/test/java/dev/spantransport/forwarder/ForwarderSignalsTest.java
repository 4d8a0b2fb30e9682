package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.guest.VsockLogRecordExporter;
import dev.spantransport.vsock.guest.VsockMetricExporter;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forwarder's --dump-only view of log records and metrics sent by a span-transport guest. */
class ForwarderSignalsTest {

  @TempDir Path dir;

  @Test
  void dumpViewShowsLogRecordsWithTheirTraceIdsAndOneLinePerMetric() throws Exception {
    Path socket = dir.resolve("forwarder.sock");
    InProcessForwarder forwarder =
        InProcessForwarder.start("--dump-only", "--listen", "unix:" + socket);
    String endpoint = "unix:" + socket;
    Resource resource = Resource.getDefault().toBuilder().put("service.name", "shop").build();
    SdkTracerProvider traces =
        SdkTracerProvider.builder()
            .setResource(resource)
            .addSpanProcessor(
                SimpleSpanProcessor.create(
                    VsockSpanExporter.builder().setEndpoint(endpoint).build()))
            .build();
    SdkLoggerProvider logs =
        SdkLoggerProvider.builder()
            .setResource(resource)
            .addLogRecordProcessor(
                SimpleLogRecordProcessor.create(
                    VsockLogRecordExporter.builder().setEndpoint(endpoint).build()))
            .build();
    SdkMeterProvider metrics =
        SdkMeterProvider.builder()
            .setResource(resource)
            .registerMetricReader(
                PeriodicMetricReader.builder(
                        VsockMetricExporter.builder().setEndpoint(endpoint).build())
                    .setInterval(Duration.ofHours(1))
                    .build())
            .build();
    String traceId;
    Span span = traces.get("shop").spanBuilder("checkout").startSpan();
    try (Scope ignored = span.makeCurrent()) {
      traceId = span.getSpanContext().getTraceId();
      logs.get("shop")
          .logRecordBuilder()
          .setSeverity(Severity.WARN)
          .setSeverityText("WARN")
          .setBody("payment retried")
          .setAttribute(AttributeKey.longKey("attempt"), 2L)
          .emit();
    } finally {
      span.end();
    }
    metrics.get("shop").counterBuilder("orders").setUnit("{order}").build().add(3);
    assertTrue(metrics.forceFlush().join(20, TimeUnit.SECONDS).isSuccess(), "metrics acked");
    assertTrue(logs.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "logs acked");
    assertTrue(metrics.shutdown().join(20, TimeUnit.SECONDS).isSuccess());
    assertTrue(traces.shutdown().join(20, TimeUnit.SECONDS).isSuccess(), "spans acked");
    forwarder.awaitAccepted(1);

    assertEquals(0, forwarder.stop());
    String text = forwarder.out();
    assertTrue(
        text.contains("· service shop · log WARN \"payment retried\" trace " + traceId + " span "),
        text);
    assertTrue(text.contains(" attempt=2"), text);
    assertTrue(
        text.contains("· service shop · metric orders long_sum {order} 1 point: value 3"), text);
    assertTrue(text.contains("└─ checkout ("), text);
  }
}
