package dev.spantransport.vsock.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.codec.OtlpSpanDecoder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exporter through public entry points: unix endpoint, SDK processor, autoconfigure. */
class VsockSpanExporterIntegrationTest {

  @TempDir Path dir;

  private static int spansReceived(FakeHost host, int expected) throws Exception {
    int spans = 0;
    while (spans < expected) {
      FakeHost.Spans frame = host.take();
      spans += OtlpSpanDecoder.countSpans(frame.payload(), 0, frame.payload().length);
    }
    return spans;
  }

  @Test
  void worksUnderBatchSpanProcessorOverAUnixEndpoint() throws Exception {
    Path socket = dir.resolve("h.sock");
    try (FakeHost host = new FakeHost(socket)) {
      VsockSpanExporter exporter =
          VsockSpanExporter.builder().setEndpoint("unix:" + socket).build();
      SdkTracerProvider provider =
          SdkTracerProvider.builder()
              .addSpanProcessor(
                  BatchSpanProcessor.builder(exporter).setMaxExportBatchSize(64).build())
              .build();
      Tracer tracer = provider.get("test");
      for (int i = 0; i < 300; i++) {
        tracer.spanBuilder("op-" + i).startSpan().end();
      }

      assertTrue(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess());
      assertEquals(300, spansReceived(host, 300));
      assertEquals(300, exporter.metrics().acked());
      assertTrue(provider.shutdown().join(20, TimeUnit.SECONDS).isSuccess());
    }
  }

  @Test
  void autoconfigureSelectsTheExporterWithOtelTracesExporterVsock() throws Exception {
    Path socket = dir.resolve("auto.sock");
    try (FakeHost host = new FakeHost(socket)) {
      Map<String, String> props = new HashMap<>();
      props.put("otel.traces.exporter", "vsock");
      props.put("otel.metrics.exporter", "none");
      props.put("otel.logs.exporter", "none");
      props.put("otel.exporter.vsock.endpoint", "unix:" + socket);
      props.put("otel.exporter.vsock.timeout", "5s");
      props.put("otel.exporter.vsock.full.policy", "drop_oldest");
      OpenTelemetrySdk sdk =
          AutoConfiguredOpenTelemetrySdk.builder()
              .addPropertiesSupplier(() -> props)
              .disableShutdownHook()
              .build()
              .getOpenTelemetrySdk();
      sdk.getTracer("auto").spanBuilder("auto-span").startSpan().end();

      assertTrue(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertEquals(1, spansReceived(host, 1));
      assertTrue(sdk.shutdown().join(20, TimeUnit.SECONDS).isSuccess());
    }
  }

  @Test
  void autoconfiguredExporterReportsItsMetricsToTheSdkMeterProvider() throws Exception {
    Path socket = dir.resolve("metrics.sock");
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (FakeHost host = new FakeHost(socket)) {
      Map<String, String> props = new HashMap<>();
      props.put("otel.traces.exporter", "vsock");
      props.put("otel.metrics.exporter", "none");
      props.put("otel.logs.exporter", "none");
      props.put("otel.exporter.vsock.endpoint", "unix:" + socket);
      OpenTelemetrySdk sdk =
          AutoConfiguredOpenTelemetrySdk.builder()
              .addPropertiesSupplier(() -> props)
              .addMeterProviderCustomizer((meters, config) -> meters.registerMetricReader(reader))
              .disableShutdownHook()
              .build()
              .getOpenTelemetrySdk();
      try {
        Tracer tracer = sdk.getTracer("auto");
        for (int i = 0; i < 3; i++) {
          tracer.spanBuilder("metered-" + i).startSpan().end();
        }
        assertTrue(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
        assertEquals(3, spansReceived(host, 3));

        awaitSum(reader, "spantransport.exporter.spans.exported", 3);
        awaitSum(reader, "spantransport.exporter.spans.acked", 3);
      } finally {
        assertTrue(sdk.shutdown().join(20, TimeUnit.SECONDS).isSuccess());
      }
    }
  }

  @Test
  void meterProviderSupplierIsResolvedOnFirstUse() throws Exception {
    Path socket = dir.resolve("lazy.sock");
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(reader).build();
    AtomicReference<MeterProvider> ready = new AtomicReference<>();
    try (FakeHost host = new FakeHost(socket)) {
      VsockSpanExporter exporter =
          VsockSpanExporter.builder()
              .setEndpoint("unix:" + socket)
              .setMeterProvider(ready::get)
              .build();
      try {
        ready.set(meters); // after build(), as autoconfigure does once the SDK is built
        assertTrue(
            exporter
                .export(VsockSpanExporterTest.spans("lazy", 2))
                .join(10, TimeUnit.SECONDS)
                .isSuccess());
        assertTrue(exporter.flush().join(10, TimeUnit.SECONDS).isSuccess());
        assertEquals(2, spansReceived(host, 2));
        awaitSum(reader, "spantransport.exporter.spans.exported", 2);
        awaitSum(reader, "spantransport.exporter.spans.acked", 2);
      } finally {
        exporter.shutdown().join(10, TimeUnit.SECONDS);
        meters.close();
      }
    }
  }

  /** Collects until the counter {@code name} sums to {@code expected}, within a bounded wait. */
  private static void awaitSum(InMemoryMetricReader reader, String name, long expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long seen = -1;
    while (System.nanoTime() - deadline < 0) {
      seen =
          reader.collectAllMetrics().stream()
              .filter(m -> m.getName().equals(name))
              .flatMap(m -> m.getLongSumData().getPoints().stream())
              .mapToLong(LongPointData::getValue)
              .sum();
      if (seen == expected) {
        return;
      }
      Thread.sleep(10);
    }
    assertEquals(expected, seen, name);
  }

  @Test
  void providerRejectsBadValuesNamingPropertyAndValue() {
    VsockSpanExporterProvider provider = new VsockSpanExporterProvider();
    assertEquals("vsock", provider.getName());

    ConfigurationException bytes =
        assertThrows(
            ConfigurationException.class,
            () ->
                provider.createExporter(
                    DefaultConfigProperties.createFromMap(
                        Map.of("otel.exporter.vsock.max.inflight.bytes", "10"))));
    assertTrue(
        bytes.getMessage().contains("otel.exporter.vsock.max.inflight.bytes: 10"),
        bytes.getMessage());

    ConfigurationException policy =
        assertThrows(
            ConfigurationException.class,
            () ->
                provider.createExporter(
                    DefaultConfigProperties.createFromMap(
                        Map.of("otel.exporter.vsock.full.policy", "block"))));
    assertTrue(policy.getMessage().contains("full.policy: block"), policy.getMessage());

    ConfigurationException endpoint =
        assertThrows(
            ConfigurationException.class,
            () ->
                provider.createExporter(
                    DefaultConfigProperties.createFromMap(
                        Map.of("otel.exporter.vsock.endpoint", "vsock://any:10240"))));
    assertTrue(
        endpoint.getMessage().contains("otel.exporter.vsock.endpoint: vsock://any:10240"),
        endpoint.getMessage());
  }

  @Test
  void builderValidatesAtTheDoor() {
    VsockSpanExporterBuilder b = VsockSpanExporter.builder();
    assertEquals(
        "maxInflightBatches must be between 1 and 65536: 0",
        assertThrows(IllegalArgumentException.class, () -> b.setMaxInflightBatches(0))
            .getMessage());
    assertEquals(
        "timeout must be positive: PT0S",
        assertThrows(IllegalArgumentException.class, () -> b.setTimeout(Duration.ZERO))
            .getMessage());
    assertEquals(
        "reconnectJitter must be between 0 and 1: 1.5",
        assertThrows(IllegalArgumentException.class, () -> b.setReconnectJitter(1.5)).getMessage());
    assertEquals(
        "endpoint",
        assertThrows(NullPointerException.class, () -> b.setEndpoint((String) null)).getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            VsockSpanExporter.builder()
                .setReconnectInitialBackoff(Duration.ofSeconds(5))
                .setReconnectMaxBackoff(Duration.ofSeconds(1))
                .build());
  }

  @Test
  void reportsDropsAsMetricsWithReason() throws Exception {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(reader).build();
    VsockSpanExporter exporter =
        VsockSpanExporter.builder()
            .setEndpoint("unix:" + dir.resolve("absent.sock"))
            .setMaxInflightBatches(1)
            .setMeterProvider(meters)
            .setTimeout(Duration.ofMillis(100))
            .build();
    try {
      exporter.export(VsockSpanExporterTest.spans("kept", 1));
      exporter.export(VsockSpanExporterTest.spans("lost", 3));

      MetricData dropped =
          reader.collectAllMetrics().stream()
              .filter(m -> m.getName().equals("spantransport.exporter.spans.dropped"))
              .findFirst()
              .orElseThrow();
      assertEquals(
          "buffer_full",
          dropped
              .getLongSumData()
              .getPoints()
              .iterator()
              .next()
              .getAttributes()
              .asMap()
              .values()
              .iterator()
              .next());
      assertEquals(3, dropped.getLongSumData().getPoints().iterator().next().getValue());
    } finally {
      exporter.shutdown();
    }
  }
}
