package dev.spantransport.examples.demo;

import dev.spantransport.vsock.guest.VsockSpanExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One demo guest, run as its own JVM by {@link Demo}: the OpenTelemetry SDK with a {@link
 * BatchSpanProcessor} over a {@link VsockSpanExporter}, producing a few realistic traces (an HTTP
 * request with auth, database queries and a cache lookup; every third one a payment call that fails
 * with an exception event), then shutting down, which flushes until the host acknowledged
 * everything.
 *
 * <p>Arguments: {@code <endpoint> <service-name> <traces>}. Prints {@code SPANS_SENT <n>} on stdout
 * and exits 0 when every span was acknowledged, 1 otherwise.
 */
public final class DemoGuest {

  /** Spans in an order trace: request, auth, 2 queries, cache lookup, render. */
  static final int ORDER_TRACE_SPANS = 6;

  /** Spans in a payment trace: request, auth, fraud check, card charge (fails). */
  static final int PAYMENT_TRACE_SPANS = 4;

  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");
  private static final AttributeKey<String> DB_QUERY = AttributeKey.stringKey("db.query.text");
  private static final AttributeKey<Long> DB_ROWS = AttributeKey.longKey("db.response.rows");

  private DemoGuest() {}

  /**
   * Runs the guest.
   *
   * @param args endpoint, service name, number of traces
   */
  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: DemoGuest <endpoint> <service-name> <traces>");
      System.exit(2);
    }
    System.exit(run(args[0], args[1], Integer.parseInt(args[2])));
  }

  /** Returns how many spans {@code traces} traces of this guest hold. */
  static int spansFor(int traces) {
    int payments = traces / 3;
    return payments * PAYMENT_TRACE_SPANS + (traces - payments) * ORDER_TRACE_SPANS;
  }

  static int run(String endpoint, String service, int traces) {
    VsockSpanExporter exporter =
        VsockSpanExporter.builder()
            .setEndpoint(endpoint)
            .setConnectTimeout(Duration.ofSeconds(5))
            .setTimeout(Duration.ofSeconds(10))
            .build();
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault().toBuilder()
                    .put("service.name", service)
                    .put("host.name", service + ".vm.local")
                    .build())
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter)
                    .setScheduleDelay(Duration.ofMillis(100))
                    .setMaxExportBatchSize(64)
                    .build())
            .build();
    Tracer tracer = provider.get("dev.spantransport.demo", "0.1.0");
    int spans = 0;
    for (int i = 1; i <= traces; i++) {
      if (i % 3 == 0) {
        payment(tracer, i);
        spans += PAYMENT_TRACE_SPANS;
      } else {
        order(tracer, i);
        spans += ORDER_TRACE_SPANS;
      }
    }
    CompletableResultCode done = provider.shutdown().join(20, TimeUnit.SECONDS);
    System.out.println("SPANS_SENT " + spans);
    System.out.flush();
    if (!done.isSuccess()) {
      System.err.println(service + ": shutdown did not complete: not every span was acknowledged");
      return 1;
    }
    return 0;
  }

  private static void order(Tracer tracer, int n) {
    Span request =
        tracer
            .spanBuilder("GET /api/orders/{id}")
            .setSpanKind(SpanKind.SERVER)
            .setAttribute(METHOD, "GET")
            .setAttribute(ROUTE, "/api/orders/{id}")
            .setAttribute("url.path", "/api/orders/" + (1000 + n))
            .startSpan();
    try (Scope ignored = request.makeCurrent()) {
      leaf(
          tracer,
          "auth.verify_token",
          SpanKind.INTERNAL,
          Attributes.of(AttributeKey.stringKey("enduser.id"), "user-" + (n % 7)),
          1);
      Span cache =
          tracer
              .spanBuilder("cache.get order:" + (1000 + n))
              .setSpanKind(SpanKind.CLIENT)
              .setAttribute("db.system", "redis")
              .setAttribute("cache.hit", false)
              .startSpan();
      work(1);
      cache.end();
      leaf(
          tracer,
          "SELECT orders",
          SpanKind.CLIENT,
          Attributes.of(
              DB_SYSTEM, "postgresql", DB_QUERY, "SELECT * FROM orders WHERE id = $1", DB_ROWS, 1L),
          3);
      leaf(
          tracer,
          "SELECT order_items",
          SpanKind.CLIENT,
          Attributes.of(
              DB_SYSTEM, "postgresql",
              DB_QUERY, "SELECT * FROM order_items WHERE order_id = $1",
              DB_ROWS, (long) (2 + n % 5)),
          2);
      leaf(tracer, "render order.json", SpanKind.INTERNAL, Attributes.empty(), 1);
      request.setAttribute(STATUS, 200L);
    } finally {
      request.end();
    }
  }

  private static void payment(Tracer tracer, int n) {
    Span request =
        tracer
            .spanBuilder("POST /api/payments")
            .setSpanKind(SpanKind.SERVER)
            .setAttribute(METHOD, "POST")
            .setAttribute(ROUTE, "/api/payments")
            .startSpan();
    try (Scope ignored = request.makeCurrent()) {
      leaf(tracer, "auth.verify_token", SpanKind.INTERNAL, Attributes.empty(), 1);
      leaf(
          tracer,
          "fraud.score",
          SpanKind.INTERNAL,
          Attributes.of(AttributeKey.doubleKey("fraud.score"), 0.12),
          1);
      Span charge =
          tracer
              .spanBuilder("POST payments-gateway /v1/charges")
              .setSpanKind(SpanKind.CLIENT)
              .setAttribute(METHOD, "POST")
              .setAttribute("server.address", "payments-gateway")
              .startSpan();
      work(2);
      charge.addEvent("retry", Attributes.of(AttributeKey.longKey("attempt"), 2L));
      charge.recordException(
          new IllegalStateException("card declined by issuer (order " + (1000 + n) + ")"));
      charge.setAttribute(STATUS, 502L);
      charge.setStatus(StatusCode.ERROR, "upstream 502");
      charge.end();
      request.setAttribute(STATUS, 502L);
      request.setStatus(StatusCode.ERROR, "payment failed");
    } finally {
      request.end();
    }
  }

  private static void leaf(Tracer tracer, String name, SpanKind kind, Attributes a, int millis) {
    Span span = tracer.spanBuilder(name).setSpanKind(kind).setAllAttributes(a).startSpan();
    work(millis);
    span.end();
  }

  /** Simulated work, so durations in the tree differ. Not a test wait. */
  private static void work(int millis) {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
  }
}
