package dev.spantransport.tests.fuzz;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Deterministic, realistic spans for seed inputs: two services, scopes, every value type. */
final class SampleSpans {
  private SampleSpans() {}

  static final long START = 1_700_000_000_123_456_789L;

  static List<SpanData> batch() {
    Resource checkout =
        Resource.create(
            Attributes.builder()
                .put("service.name", "checkout")
                .put("service.version", "2.4.1")
                .put("host.name", "guest-7")
                .put("guest.cid", 99L) // a spoofed identity the host strips
                .put("telemetry.sdk.language", "java")
                .build(),
            "https://opentelemetry.io/schemas/1.24.0");
    Resource payments =
        Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "payments"));
    InstrumentationScopeInfo http =
        InstrumentationScopeInfo.builder("io.opentelemetry.http")
            .setVersion("1.2.3")
            .setSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
            .setAttributes(Attributes.of(AttributeKey.booleanKey("scope.flag"), true))
            .build();
    InstrumentationScopeInfo db = InstrumentationScopeInfo.create("db-client");

    String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    SpanContext root =
        SpanContext.create(
            trace,
            "00f067aa0ba902b7",
            TraceFlags.getSampled(),
            TraceState.builder().put("vendor", "alpha").put("rojo", "00f067aa0ba902b7").build());
    SpanContext remoteParent =
        SpanContext.createFromRemoteParent(
            trace, "53995c3f42cd8ad8", TraceFlags.getSampled(), TraceState.getDefault());
    SpanContext child =
        SpanContext.create(
            trace, "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault());
    SpanContext other =
        SpanContext.create(
            "0af7651916cd43dd8448eb211c80319c",
            "e457b5a2e4d86bd1",
            TraceFlags.getDefault(),
            TraceState.getDefault());

    Attributes rich =
        Attributes.builder()
            .put("http.request.method", "POST")
            .put("url.path", "/api/v1/checkout/容器")
            .put("http.response.status_code", 500L)
            .put("retry", false)
            .put("ratio", 0.25)
            .put(AttributeKey.stringArrayKey("tags"), Arrays.asList("a", "", "ü"))
            .put(AttributeKey.longArrayKey("ports"), Arrays.asList(80L, 443L, -1L))
            .put(AttributeKey.booleanArrayKey("flags"), Arrays.asList(true, false))
            .put(AttributeKey.doubleArrayKey("weights"), Arrays.asList(1.5, -0.0))
            .build();

    List<SpanData> spans = new ArrayList<>();
    spans.add(
        TestSpanData.builder()
            .setSpanContext(root)
            .setParentSpanContext(remoteParent)
            .setResource(checkout)
            .setInstrumentationScopeInfo(http)
            .setName("POST /api/v1/checkout")
            .setKind(SpanKind.SERVER)
            .setStartEpochNanos(START)
            .setEndEpochNanos(START + 42_000_000L)
            .setAttributes(rich)
            .setTotalAttributeCount(rich.size() + 2)
            .setEvents(
                Arrays.asList(
                    EventData.create(
                        START + 1_000,
                        "exception",
                        Attributes.of(
                            AttributeKey.stringKey("exception.type"),
                            "java.io.IOException",
                            AttributeKey.stringKey("exception.message"),
                            "connection reset")),
                    EventData.create(START + 2_000, "retry", Attributes.empty())))
            .setTotalRecordedEvents(3)
            .setLinks(
                Arrays.asList(
                    LinkData.create(
                        other, Attributes.of(AttributeKey.stringKey("link.kind"), "batch"))))
            .setTotalRecordedLinks(1)
            .setStatus(StatusData.create(StatusCode.ERROR, "upstream failed"))
            .setHasEnded(true)
            .build());
    spans.add(
        TestSpanData.builder()
            .setSpanContext(child)
            .setParentSpanContext(root)
            .setResource(checkout)
            .setInstrumentationScopeInfo(db)
            .setName("SELECT orders")
            .setKind(SpanKind.CLIENT)
            .setStartEpochNanos(START + 5_000_000L)
            .setEndEpochNanos(START + 9_000_000L)
            .setAttributes(Attributes.of(AttributeKey.stringKey("db.system"), "postgresql"))
            .setTotalAttributeCount(1)
            .setStatus(StatusData.ok())
            .setHasEnded(true)
            .build());
    spans.add(
        TestSpanData.builder()
            .setSpanContext(other)
            .setResource(payments)
            .setInstrumentationScopeInfo(db)
            .setName("charge")
            .setKind(SpanKind.PRODUCER)
            .setStartEpochNanos(START)
            .setEndEpochNanos(START)
            .setStatus(StatusData.unset())
            .setHasEnded(true)
            .build());
    return spans;
  }

  static List<SpanData> single() {
    return batch().subList(2, 3);
  }
}
