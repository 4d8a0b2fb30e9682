package dev.spantransport.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sinks tell a permanent refusal ({@link BatchRejectedException}: the receiver drops the batch)
 * from a retryable failure (any other: the guest resends it).
 */
class SinkRejectionTest {

  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int status = 200;

  @BeforeEach
  void startCollector() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          requests.incrementAndGet();
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  @AfterEach
  void stopCollector() {
    server.stop(0);
  }

  private CompletableResultCode postWithStatus(int answer) {
    status = answer;
    requests.set(0);
    OtlpHttpSink sink =
        OtlpHttpSink.builder()
            .setEndpoint("http://127.0.0.1:" + server.getAddress().getPort())
            .setBackoff(Duration.ofMillis(1), Duration.ofMillis(5), 2.0)
            .setMaxAttempts(2)
            .build();
    try {
      CompletableResultCode result =
          sink.accept(Payloads.batch(Payloads.spoofingRequest(2).toByteArray(), 2));
      assertTrue(result.join(10, TimeUnit.SECONDS).isDone(), "no answer for " + answer);
      return result;
    } finally {
      sink.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void otlpHttpSinkRefusesForGoodEveryStatusTheSpecSaysMustNotBeRetried() {
    for (int answer : new int[] {400, 401, 403, 404, 413, 500, 501}) {
      CompletableResultCode result = postWithStatus(answer);
      assertFalse(result.isSuccess(), "HTTP " + answer);
      BatchRejectedException e =
          assertInstanceOf(
              BatchRejectedException.class, result.getFailureThrowable(), "HTTP " + answer);
      assertTrue(e.getMessage().contains("HTTP " + answer), e.getMessage());
      assertEquals(1, requests.get(), "HTTP " + answer + " is not retried");
    }
  }

  @Test
  void otlpHttpSinkFailsRetryablyOnStatusesTheSpecSaysToRetry() {
    for (int answer : new int[] {429, 502, 503, 504}) {
      CompletableResultCode result = postWithStatus(answer);
      assertFalse(result.isSuccess(), "HTTP " + answer);
      assertFalse(result.getFailureThrowable() instanceof BatchRejectedException, "HTTP " + answer);
      assertEquals(2, requests.get(), "HTTP " + answer + " is retried up to max attempts");
    }
  }

  @Test
  void otlpHttpSinkRefusesAPayloadThatIsNotOtlpForGood() {
    OtlpHttpSink sink =
        OtlpHttpSink.builder()
            .setEndpoint("http://127.0.0.1:" + server.getAddress().getPort())
            .build();
    try {
      CompletableResultCode result = sink.accept(Payloads.batch(new byte[] {0x0a, 0x7f}, 1));
      assertInstanceOf(BatchRejectedException.class, result.getFailureThrowable());
      assertEquals(0, requests.get());
    } finally {
      sink.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  /** An exporter whose export answers with {@code answer}. */
  private static SpanExporter exporter(
      Function<Collection<SpanData>, CompletableResultCode> answer) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return answer.apply(spans);
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
  }

  private static SpanBatch goodBatch() {
    return Payloads.batch(Payloads.spoofingRequest(1).toByteArray(), 1);
  }

  @Test
  void spanExporterSinkPassesAnExportersPermanentRefusalThrough() {
    BatchRejectedException refusal = new BatchRejectedException("HTTP 413");
    SpanExporterSink failing =
        SpanExporterSink.create(
            exporter(spans -> CompletableResultCode.ofExceptionalFailure(refusal)));
    SpanExporterSink throwing =
        SpanExporterSink.create(
            exporter(
                spans -> {
                  throw refusal;
                }));

    assertSame(refusal, failing.accept(goodBatch()).getFailureThrowable());
    assertSame(refusal, throwing.accept(goodBatch()).getFailureThrowable());
  }

  @Test
  void spanExporterSinkFailsRetryablyWhenTheExporterFailsOrThrowsAnythingElse() {
    List<SpanExporter> exporters =
        List.of(
            exporter(spans -> CompletableResultCode.ofFailure()),
            exporter(spans -> CompletableResultCode.ofExceptionalFailure(new IOException("down"))),
            exporter(
                spans -> {
                  throw new IllegalStateException("closed");
                }));
    for (SpanExporter e : exporters) {
      CompletableResultCode result = SpanExporterSink.create(e).accept(goodBatch());
      assertTrue(result.isDone());
      assertFalse(result.isSuccess());
      assertFalse(result.getFailureThrowable() instanceof BatchRejectedException);
    }
  }

  @Test
  void spanExporterSinkRefusesAPayloadThatIsNotOtlpForGood() {
    SpanExporterSink sink =
        SpanExporterSink.create(exporter(spans -> CompletableResultCode.ofSuccess()));

    CompletableResultCode result = sink.accept(Payloads.batch(new byte[] {0x0a, 0x7f}, 1));

    assertInstanceOf(BatchRejectedException.class, result.getFailureThrowable());
  }
}
