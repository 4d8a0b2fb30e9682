package dev.spantransport.benchmarks;

import dev.spantransport.codec.internal.ImmutableSpanData;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The one fixture every benchmark uses: deterministic, realistic HTTP-server spans, each with 8
 * mixed attributes and one event, sharing one 5-attribute resource and one instrumentation scope.
 */
public final class BenchmarkSpans {
  static final Resource RESOURCE =
      Resource.create(
          Attributes.builder()
              .put("service.name", "checkout")
              .put("service.version", "1.4.2")
              .put("host.name", "guest-vm-07")
              .put("telemetry.sdk.language", "java")
              .put("process.pid", 4242L)
              .build(),
          "https://opentelemetry.io/schemas/1.24.0");

  static final InstrumentationScopeInfo SCOPE =
      InstrumentationScopeInfo.builder("io.opentelemetry.http-server").setVersion("2.3.0").build();

  private static final String[] ROUTES = {
    "/api/cart", "/api/checkout", "/api/items/{id}", "/health"
  };

  private BenchmarkSpans() {}

  /** {@code count} spans, the same for every call with the same count. */
  public static List<SpanData> spans(int count) {
    return spans(count, 0);
  }

  /**
   * {@code count} spans of batch number {@code variant}: the same for every call with the same
   * arguments, and different between variants in what differs between real batches (trace and span
   * ids, timestamps, peer ports, cart totals, cache keys), while the low-cardinality values
   * (methods, routes, URLs, status codes, the resource and scope) repeat as they would. Variant 0
   * is {@link #spans(int)}.
   */
  public static List<SpanData> spans(int count, int variant) {
    // not a multiple of SplittableRandom's gamma apart: such seeds give the same stream, shifted
    SplittableRandom random = new SplittableRandom(20240601L + 1_000_003L * variant);
    List<SpanData> spans = new ArrayList<>(count);
    long base = 1_717_200_000_000_000_000L + variant * 60_000_000_000L;
    for (int i = 0; i < count; i++) {
      String traceId = TraceId.fromLongs(random.nextLong(), random.nextLong());
      String route = ROUTES[i % ROUTES.length];
      long start = base + i * 1_000_000L;
      long end = start + 250_000L + random.nextInt(5_000_000);
      Attributes attributes =
          Attributes.builder()
              .put("http.request.method", i % 3 == 0 ? "POST" : "GET")
              .put("http.route", route)
              .put("url.full", "https://shop.example.com" + route + "?page=" + (i % 10))
              .put("http.response.status_code", 200L + (i % 7 == 0 ? 300 : 0))
              .put("server.address", "shop.example.com")
              .put("network.peer.port", 40_000L + random.nextInt(20_000))
              .put("retry", i % 11 == 0)
              .put("app.cart.total", 12.5 + random.nextInt(1000) / 10.0)
              .build();
      EventData event =
          EventData.create(
              start + 100_000L,
              "cache.lookup",
              Attributes.of(
                  AttributeKey.stringKey("cache.key"),
                  "cart:" + random.nextInt(100_000),
                  AttributeKey.booleanKey("cache.hit"),
                  i % 2 == 0));
      spans.add(
          new ImmutableSpanData(
              RESOURCE,
              SCOPE,
              "HTTP " + (i % 3 == 0 ? "POST " : "GET ") + route,
              SpanKind.SERVER,
              SpanContext.create(
                  traceId,
                  SpanId.fromLong(random.nextLong() | 1),
                  TraceFlags.getSampled(),
                  TraceState.getDefault()),
              SpanContext.createFromRemoteParent(
                  traceId,
                  SpanId.fromLong(random.nextLong() | 1),
                  TraceFlags.getSampled(),
                  TraceState.getDefault()),
              i % 13 == 0 ? StatusData.error() : StatusData.unset(),
              start,
              end,
              attributes,
              attributes.size(),
              List.of(event),
              1,
              List.of(),
              0));
    }
    return spans;
  }
}
