package dev.spantransport.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OtlpServersTest {

  @Test
  void httpServerCountsEverySpanTheJdkSenderExports() throws Exception {
    System.setProperty(
        "io.opentelemetry.sdk.common.export.HttpSenderProvider",
        "io.opentelemetry.exporter.sender.jdk.internal.JdkHttpSenderProvider");
    AtomicLong spans = new AtomicLong();
    try (OtlpHttpServer server = new OtlpHttpServer(1, spans::addAndGet)) {
      SpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(server.endpoint()).build();
      try {
        for (int i = 0; i < 5; i++) {
          assertTrue(
              exporter.export(BenchmarkSpans.spans(64, i)).join(10, TimeUnit.SECONDS).isSuccess());
        }
      } finally {
        exporter.shutdown().join(10, TimeUnit.SECONDS);
      }
      assertEquals(5 * 64, spans.get());
    }
  }

  @Test
  void httpServerAnswersAMalformedBody400AndServesTheNextRequest() throws Exception {
    AtomicLong spans = new AtomicLong();
    try (OtlpHttpServer server = new OtlpHttpServer(1, spans::addAndGet)) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<Void> bad =
          client.send(
              HttpRequest.newBuilder(URI.create(server.endpoint()))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 0x01}))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertEquals(400, bad.statusCode());
      byte[] good = new dev.spantransport.codec.OtlpSpanEncoder().encode(BenchmarkSpans.spans(3));
      HttpResponse<Void> ok =
          client.send(
              HttpRequest.newBuilder(URI.create(server.endpoint()))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(good))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertEquals(200, ok.statusCode());
      assertEquals(3, spans.get());
    }
  }

  @Test
  void grpcServerParsesEverySpanTheGrpcExporterExports() throws Exception {
    AtomicLong spans = new AtomicLong();
    try (OtlpGrpcServer server =
        new OtlpGrpcServer(request -> spans.addAndGet(OtlpGrpcServer.spanCount(request)))) {
      SpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint(server.endpoint()).build();
      try {
        for (int i = 0; i < 5; i++) {
          assertTrue(
              exporter.export(BenchmarkSpans.spans(64, i)).join(10, TimeUnit.SECONDS).isSuccess());
        }
      } finally {
        exporter.shutdown().join(10, TimeUnit.SECONDS);
      }
      assertEquals(5 * 64, spans.get());
    }
  }
}
