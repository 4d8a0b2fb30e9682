package dev.spantransport.forwarder.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceTreePrinterTest {

  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final Resource VM1 =
      Resource.create(
          Attributes.builder()
              .put("service.name", "checkout")
              .put("spantransport.peer.transport", "vsock")
              .put("spantransport.peer.cid", 3L)
              .put("spantransport.peer.port", 1025L)
              .build());
  private static final Resource VM2 =
      Resource.create(
          Attributes.builder()
              .put("service.name", "billing")
              .put("spantransport.peer.transport", "hvsock")
              .put("spantransport.peer.socket_path", "/run/vm2.sock_10240")
              .put("spantransport.peer.pid", 42L)
              .build());

  private static SpanData span(
      Resource resource, String id, String parent, String name, long startMs, long endMs) {
    SpanContext parentContext =
        parent == null
            ? SpanContext.getInvalid()
            : SpanContext.create(TRACE, parent, TraceFlags.getSampled(), TraceState.getDefault());
    return TestSpanData.builder()
        .setResource(resource)
        .setSpanContext(
            SpanContext.create(TRACE, id, TraceFlags.getSampled(), TraceState.getDefault()))
        .setParentSpanContext(parentContext)
        .setName(name)
        .setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(startMs * 1_000_000)
        .setEndEpochNanos(endMs * 1_000_000)
        .setHasEnded(true)
        .setStatus(StatusData.unset())
        .setTotalRecordedEvents(0)
        .build();
  }

  private static String print(List<SpanData> spans) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TraceTreePrinter printer =
        TraceTreePrinter.builder(new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .setQuietPeriod(Duration.ZERO)
            .build();
    printer.export(spans);
    printer.shutdown();
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void printsChildrenUnderTheirParentInStartOrderWhateverTheArrivalOrder() {
    SpanData db =
        TestSpanData.builder()
            .setResource(VM1)
            .setSpanContext(
                SpanContext.create(
                    TRACE, "00000000000000b2", TraceFlags.getSampled(), TraceState.getDefault()))
            .setParentSpanContext(
                SpanContext.create(
                    TRACE, "00000000000000a1", TraceFlags.getSampled(), TraceState.getDefault()))
            .setName("SELECT orders")
            .setKind(SpanKind.CLIENT)
            .setAttributes(Attributes.of(AttributeKey.stringKey("db.system"), "postgresql"))
            .setEvents(List.of(EventData.create(12_000_000, "retry", Attributes.empty())))
            .setStartEpochNanos(11_000_000)
            .setEndEpochNanos(14_100_000)
            .setHasEnded(true)
            .setStatus(StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, "timeout"))
            .setTotalRecordedEvents(1)
            .build();
    String text =
        print(
            List.of(
                span(VM1, "00000000000000c3", "00000000000000a1", "render", 20, 21),
                db,
                span(VM1, "00000000000000a1", null, "GET /api", 10, 22)));
    assertEquals(
        "guest vsock cid=3 port=1025 · service checkout\n"
            + "trace "
            + TRACE
            + " · 3 spans · 12.0 ms\n"
            + "└─ GET /api (12.0 ms)\n"
            + "   ├─ SELECT orders [CLIENT] (3.1 ms) db.system=postgresql status=ERROR \"timeout\"\n"
            + "   │    · event retry\n"
            + "   └─ render (1.0 ms)\n"
            + "\n",
        text);
  }

  @Test
  void printsOrphansWhoseParentNeverCameAtTopLevelMarked() {
    String text =
        print(
            List.of(
                span(VM1, "00000000000000a1", null, "root", 0, 10),
                span(VM1, "00000000000000d4", "00000000000000ff", "lost child", 2, 3)));
    assertTrue(text.contains("├─ root (10.0 ms)\n"), text);
    assertTrue(
        text.contains("└─ lost child (1.0 ms) (parent 00000000000000ff not received)\n"), text);
  }

  @Test
  void separatesGuestsSharingATraceId() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TraceTreePrinter printer =
        TraceTreePrinter.builder(new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .setQuietPeriod(Duration.ZERO)
            .build();
    printer.export(
        List.of(
            span(VM1, "00000000000000a1", null, "vm1 root", 0, 5),
            span(VM2, "00000000000000b1", null, "vm2 root", 0, 5),
            span(VM2, "00000000000000b2", "00000000000000b1", "vm2 child", 1, 2)));
    printer.shutdown();
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("guest vsock cid=3 port=1025 · service checkout\n"), text);
    assertTrue(text.contains("guest hvsock /run/vm2.sock_10240 pid=42 · service billing\n"), text);
    assertEquals(
        Map.of(
            "vsock cid=3 port=1025 · service checkout", 1L,
            "hvsock /run/vm2.sock_10240 pid=42 · service billing", 2L),
        printer.spansPerGuest());
    assertEquals(2, printer.tracesPrinted());
    assertEquals(3, printer.spansPrinted());
  }

  @Test
  void printsOldestTraceEarlyWhenMoreTracesAreHeldThanAllowed() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TraceTreePrinter printer =
        TraceTreePrinter.builder(new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .setQuietPeriod(Duration.ZERO)
            .setMaxTraces(1)
            .build();
    printer.export(List.of(span(VM1, "00000000000000a1", null, "first", 0, 1)));
    assertEquals(0, printer.spansPrinted());
    printer.export(List.of(span(VM2, "00000000000000b1", null, "second", 0, 1)));
    assertEquals(1, printer.spansPrinted());
    assertEquals(1, printer.heldSpans());
    printer.shutdown();
    assertEquals(2, printer.spansPrinted());
  }

  @Test
  void formatsDurationsForPeople() {
    assertEquals("850 µs", TraceTreePrinter.duration(850_000));
    assertEquals("12.3 ms", TraceTreePrinter.duration(12_300_000));
    assertEquals("1.25 s", TraceTreePrinter.duration(1_250_000_000));
  }
}
