package dev.spantransport.forwarder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jaegertracing.thriftjava.Batch;
import io.jaegertracing.thriftjava.Log;
import io.jaegertracing.thriftjava.Span;
import io.jaegertracing.thriftjava.SpanRefType;
import io.jaegertracing.thriftjava.Tag;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class JaegerAgentExporterTest {

  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";

  private static Resource guest(long cid) {
    return Resource.create(
        Attributes.builder()
            .put("service.name", "payments")
            .put("spantransport.peer.transport", "vsock")
            .put("spantransport.peer.cid", cid)
            .build());
  }

  private static SpanData span(Resource resource, long spanId, String name, Attributes attrs) {
    return TestSpanData.builder()
        .setResource(resource)
        .setSpanContext(
            SpanContext.create(
                TRACE,
                String.format("%016x", spanId),
                TraceFlags.getSampled(),
                TraceState.getDefault()))
        .setName(name)
        .setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1_700_000_000_000_000_000L)
        .setEndEpochNanos(1_700_000_000_002_500_000L)
        .setAttributes(attrs)
        .setStatus(StatusData.unset())
        .setHasEnded(true)
        .build();
  }

  private static Map<String, Tag> tags(List<Tag> tags) {
    return tags.stream().collect(Collectors.toMap(Tag::getKey, t -> t));
  }

  @Test
  void mapsEverySpanFieldAndTheGuestIdentityAsProcessTags() throws Exception {
    SpanData data =
        TestSpanData.builder()
            .setResource(guest(7))
            .setInstrumentationScopeInfo(
                InstrumentationScopeInfo.builder("kata-agent").setVersion("3.28").build())
            .setSpanContext(
                SpanContext.create(
                    TRACE, "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault()))
            .setParentSpanContext(
                SpanContext.create(
                    TRACE, "8000000000000001", TraceFlags.getSampled(), TraceState.getDefault()))
            .setName("CreateContainer")
            .setKind(SpanKind.SERVER)
            .setStartEpochNanos(1_700_000_000_000_001_000L)
            .setEndEpochNanos(1_700_000_000_002_501_000L)
            .setAttributes(
                Attributes.builder()
                    .put("container_id", "c1")
                    .put("retries", 3L)
                    .put("ratio", 0.5)
                    .put("cached", true)
                    .put(AttributeKey.stringArrayKey("args"), List.of("a", "b\"c"))
                    .build())
            .setEvents(
                List.of(
                    EventData.create(
                        1_700_000_000_001_000_000L,
                        "retry",
                        Attributes.of(AttributeKey.longKey("attempt"), 2L))))
            .setLinks(
                List.of(
                    LinkData.create(
                        SpanContext.create(
                            "00000000000000010000000000000002",
                            "0000000000000003",
                            TraceFlags.getSampled(),
                            TraceState.getDefault()))))
            .setStatus(StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, "boom"))
            .setHasEnded(true)
            .setTotalRecordedEvents(1)
            .setTotalRecordedLinks(1)
            .build();
    try (UdpJaegerAgent agent = new UdpJaegerAgent()) {
      JaegerAgentExporter exporter =
          JaegerAgentExporter.builder().setAgent("127.0.0.1", agent.port()).build();
      assertTrue(exporter.export(List.of(data)).isSuccess());
      List<Batch> batches = agent.awaitSpans(1, 10_000);
      exporter.shutdown();

      assertEquals(1, batches.size());
      Batch batch = batches.get(0);
      assertEquals("payments", batch.getProcess().getServiceName());
      Map<String, Tag> process = tags(batch.getProcess().getTags());
      assertEquals("vsock", process.get("spantransport.peer.transport").getVStr());
      assertEquals(7L, process.get("spantransport.peer.cid").getVLong());
      assertEquals("jaeger", process.get("exporter").getVStr());
      assertTrue(!process.containsKey("service.name"), process.toString());

      Span span = batch.getSpans().get(0);
      assertEquals(0x0af7651916cd43ddL, span.getTraceIdHigh());
      assertEquals(0x8448eb211c80319cL, span.getTraceIdLow());
      assertEquals(0x00f067aa0ba902b7L, span.getSpanId());
      assertEquals(0x8000000000000001L, span.getParentSpanId());
      assertEquals("CreateContainer", span.getOperationName());
      assertEquals(1, span.getFlags());
      assertEquals(1_700_000_000_000_001L, span.getStartTime());
      assertEquals(2_500L, span.getDuration());
      Map<String, Tag> tags = tags(span.getTags());
      assertEquals("c1", tags.get("container_id").getVStr());
      assertEquals(3L, tags.get("retries").getVLong());
      assertEquals(0.5, tags.get("ratio").getVDouble());
      assertEquals(true, tags.get("cached").isVBool());
      assertEquals("[\"a\",\"b\\\"c\"]", tags.get("args").getVStr());
      assertEquals("server", tags.get("span.kind").getVStr());
      assertEquals("ERROR", tags.get("otel.status_code").getVStr());
      assertEquals(true, tags.get("error").isVBool());
      assertEquals("boom", tags.get("otel.status_description").getVStr());
      assertEquals("kata-agent", tags.get("otel.scope.name").getVStr());
      assertEquals("3.28", tags.get("otel.scope.version").getVStr());
      Log log = span.getLogs().get(0);
      assertEquals(1_700_000_000_001_000L, log.getTimestamp());
      assertEquals("retry", tags(log.getFields()).get("event").getVStr());
      assertEquals(2L, tags(log.getFields()).get("attempt").getVLong());
      assertEquals(SpanRefType.FOLLOWS_FROM, span.getReferences().get(0).getRefType());
      assertEquals(1L, span.getReferences().get(0).getTraceIdHigh());
      assertEquals(2L, span.getReferences().get(0).getTraceIdLow());
      assertEquals(3L, span.getReferences().get(0).getSpanId());
    }
  }

  @Test
  void splitsABigBatchIntoDatagramsOfAtMost65000BytesLosingNoSpan() throws Exception {
    List<SpanData> spans = new ArrayList<>();
    String padding = "x".repeat(200);
    for (int i = 1; i <= 2_000; i++) {
      spans.add(span(guest(3), i, "op-" + i, Attributes.of(AttributeKey.stringKey("p"), padding)));
    }
    try (UdpJaegerAgent agent = new UdpJaegerAgent()) {
      JaegerAgentExporter exporter =
          JaegerAgentExporter.builder().setAgent("127.0.0.1", agent.port()).build();
      assertTrue(exporter.export(spans).isSuccess());
      List<Batch> batches = agent.awaitSpans(spans.size(), 10_000);

      Set<Long> ids = new HashSet<>();
      batches.forEach(b -> b.getSpans().forEach(s -> ids.add(s.getSpanId())));
      assertEquals(spans.size(), ids.size());
      assertTrue(agent.datagramSizes().size() > 1, agent.datagramSizes().toString());
      assertEquals(exporter.datagrams(), agent.datagramSizes().size());
      for (int size : agent.datagramSizes()) {
        assertTrue(size <= JaegerAgentExporter.MAX_PACKET_BYTES, "datagram of " + size);
      }
      // Packed, not one span per datagram: all but the last are more than half full.
      List<Integer> sizes = agent.datagramSizes();
      for (int i = 0; i < sizes.size() - 1; i++) {
        assertTrue(sizes.get(i) > JaegerAgentExporter.MAX_PACKET_BYTES / 2, sizes.toString());
      }
      exporter.shutdown();
    }
  }

  @Test
  void aSpanLargerThanOneDatagramIsDroppedAndCountedTheOthersArrive() throws Exception {
    List<SpanData> spans =
        List.of(
            span(guest(3), 1, "small", Attributes.empty()),
            span(
                guest(3),
                2,
                "huge",
                Attributes.of(AttributeKey.stringKey("p"), "y".repeat(70_000))),
            span(guest(3), 3, "small too", Attributes.empty()));
    try (UdpJaegerAgent agent = new UdpJaegerAgent()) {
      JaegerAgentExporter exporter =
          JaegerAgentExporter.builder().setAgent("127.0.0.1", agent.port()).build();
      assertTrue(exporter.export(spans).isSuccess());
      List<Batch> batches = agent.awaitSpans(2, 10_000);
      assertEquals(
          List.of("small", "small too"),
          batches.stream()
              .flatMap(b -> b.getSpans().stream())
              .map(Span::getOperationName)
              .collect(Collectors.toList()));
      assertEquals(1, exporter.spansTooLarge());
      assertEquals(2, exporter.spansSent());
      exporter.shutdown();
    }
  }

  @Test
  void spansOfEachGuestGoInABatchWithThatGuestsProcess() throws Exception {
    List<SpanData> spans =
        List.of(
            span(guest(3), 1, "a", Attributes.empty()),
            span(guest(4), 2, "b", Attributes.empty()),
            span(guest(3), 3, "c", Attributes.empty()),
            span(Resource.empty(), 4, "d", Attributes.empty()));
    try (UdpJaegerAgent agent = new UdpJaegerAgent()) {
      JaegerAgentExporter exporter =
          JaegerAgentExporter.builder()
              .setAgent("127.0.0.1", agent.port())
              .setServiceName("vm-agent")
              .build();
      assertTrue(exporter.export(spans).isSuccess());
      List<Batch> batches = agent.awaitSpans(4, 10_000);
      assertEquals(3, batches.size());
      Map<String, List<String>> byGuest = new java.util.TreeMap<>();
      for (Batch b : batches) {
        Tag cid = tags(b.getProcess().getTags()).get("spantransport.peer.cid");
        String key = b.getProcess().getServiceName() + "/" + (cid == null ? "-" : cid.getVLong());
        byGuest.put(
            key, b.getSpans().stream().map(Span::getOperationName).collect(Collectors.toList()));
      }
      assertEquals(
          Map.of(
              "payments/3",
              List.of("a", "c"),
              "payments/4",
              List.of("b"),
              "vm-agent/-",
              List.of("d")),
          byGuest);
      exporter.shutdown();
    }
  }

  @Test
  void anAgentPortThatRefusesDatagramsFailsTheExportSoTheLossIsCounted() throws Exception {
    int closedPort;
    try (java.net.DatagramSocket s =
        new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort(); // closed again: loopback answers ICMP port unreachable
    }
    JaegerAgentExporter exporter =
        JaegerAgentExporter.builder().setAgent("127.0.0.1", closedPort).build();
    List<SpanData> one = List.of(span(guest(3), 1, "a", Attributes.empty()));
    boolean failed = false;
    // The refusal arrives after a send and fails a later one: bounded attempts until it shows.
    for (int attempt = 0; attempt < 50 && !failed; attempt++) {
      failed = !exporter.export(one).isSuccess();
      if (!failed) {
        Thread.sleep(10);
      }
    }
    exporter.shutdown();
    assertTrue(failed, "no export failed although nothing listens on port " + closedPort);
  }
}
