package dev.spantransport.tests;

import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.sink.PolicySink;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.guest.VsockSpanExporter;
import dev.spantransport.vsock.guest.VsockSpanExporterBuilder;
import dev.spantransport.vsock.host.SpanReceiver;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What leaves a guest is what its policy allows, and a host can narrow it per guest: allow-list,
 * deny-list, redaction, keyed hashing, value caps and span-name rules on a real exporter and a real
 * receiver; the off switch opens no socket; no policy can forge or erase a guest's identity.
 */
class BoundaryPolicyTest {

  static final byte[] SECRET = "0123456789abcdef-test-secret".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final InMemorySpanExporter decoded = InMemorySpanExporter.create();

  /** The payload bytes as they crossed the socket, before any host-side processing. */
  private final List<byte[]> wire = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A sink recording the raw payload, then decoding it into {@link #decoded}. */
  private SpanSink recordingSink(SpanSink next) {
    return new SpanSink() {
      @Override
      public CompletableResultCode accept(SpanBatch batch) {
        wire.add(batch.copyPayload());
        return next.accept(batch);
      }

      @Override
      public CompletableResultCode shutdown() {
        return next.shutdown();
      }
    };
  }

  private void receiver(SpanSink sink, String... endpoints) {
    var builder = SpanReceiver.builder().addSink(sink).setShutdownTimeout(Duration.ofSeconds(2));
    for (String e : endpoints) {
      builder.addEndpoint(e);
    }
    SpanReceiver receiver = Receivers.start(builder);
    closeables.add(() -> receiver.shutdown().join(10, TimeUnit.SECONDS));
  }

  /** Sends the spans {@code body} ends from a real SDK through a real exporter; waits for acks. */
  private void guest(Path socket, VsockSpanExporterBuilder exporter, Consumer<Tracer> body) {
    VsockSpanExporter e = exporter.setEndpoint("unix:" + socket).build();
    SdkTracerProvider sdk =
        SdkTracerProvider.builder()
            .setResource(
                Resource.create(
                    Attributes.of(
                        stringKey("service.name"), "checkout",
                        stringKey("host.ip"), "10.1.2.3",
                        stringKey("spantransport.peer.socket_path"), "/forged/path")))
            .addSpanProcessor(SimpleSpanProcessor.create(e))
            .build();
    body.accept(sdk.get("policy"));
    assertTrue(e.flush().join(10, TimeUnit.SECONDS).isSuccess(), "not acked");
    sdk.shutdown().join(10, TimeUnit.SECONDS);
  }

  private static void sensitiveSpan(Tracer tracer, String name, String userId) {
    Span span =
        tracer
            .spanBuilder(name)
            .setAttribute("http.method", "POST")
            .setAttribute("http.target", "/users/" + userId)
            .setAttribute("user.email", "alice@example.com")
            .setAttribute("user.id", userId)
            .setAttribute("db.statement", "SELECT * FROM cards WHERE pan = '4111111111111111'")
            .addLink(SpanContext.getInvalid(), Attributes.of(stringKey("user.email"), "bob@x"))
            .startSpan();
    span.addEvent("login", Attributes.of(stringKey("user.email"), "carol@x"));
    span.end();
  }

  private List<SpanData> received(int n) throws InterruptedException {
    assertTrue(
        Receivers.await(() -> decoded.getFinishedSpanItems().size() >= n, Duration.ofSeconds(10)),
        "spans at the sink: " + decoded.getFinishedSpanItems().size());
    List<SpanData> spans = new ArrayList<>(decoded.getFinishedSpanItems());
    spans.sort(Comparator.comparing(SpanData::getName));
    assertEquals(n, spans.size());
    return spans;
  }

  private boolean onTheWire(String text) {
    for (byte[] payload : wire) {
      if (new String(payload, StandardCharsets.ISO_8859_1).contains(text)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void allowListLetsOnlyMatchingKeysLeaveTheGuestAndCountsTheRestAsDropped() throws Exception {
    Path socket = dir.resolve("host.sock");
    receiver(recordingSink(SpanExporterSink.create(decoded)), "unix:" + socket);
    guest(
        socket,
        VsockSpanExporter.builder()
            .setAttributePolicy(AttributePolicy.builder().allowKeys("http.*", "service.*").build()),
        t -> sensitiveSpan(t, "charge", "42"));

    SpanData span = received(1).get(0);
    assertEquals(
        Attributes.of(stringKey("http.method"), "POST", stringKey("http.target"), "/users/42"),
        span.getAttributes());
    assertEquals(5, span.getTotalAttributeCount(), "3 dropped attributes are counted");
    assertTrue(span.getEvents().get(0).getAttributes().isEmpty());
    assertEquals(1, span.getEvents().get(0).getTotalAttributeCount());
    assertTrue(span.getLinks().get(0).getAttributes().isEmpty());
    assertEquals("checkout", span.getResource().getAttribute(stringKey("service.name")));
    assertNull(span.getResource().getAttribute(stringKey("host.ip")));
    for (String secret : List.of("alice@example.com", "bob@x", "carol@x", "4111", "10.1.2.3")) {
      assertFalse(onTheWire(secret), secret + " crossed the VM boundary");
    }
  }

  @Test
  void denyRedactHashCapAndSpanNameRulesApplyOnTheGuest() throws Exception {
    Path socket = dir.resolve("host.sock");
    receiver(recordingSink(SpanExporterSink.create(decoded)), "unix:" + socket);
    AttributePolicy policy =
        AttributePolicy.builder()
            .denyKeys("db.*")
            .redactKeys("user.email")
            .hashKeys(SECRET, "user.id")
            .setMaxValueLength(8)
            .setSpanNameRule("/users/\\d+", "/users/{id}")
            .build();
    guest(
        socket,
        VsockSpanExporter.builder().setAttributePolicy(policy),
        t -> {
          sensitiveSpan(t, "GET /users/42 a", "42");
          sensitiveSpan(t, "GET /users/43 b", "42");
          sensitiveSpan(t, "GET /users/44 c", "7");
        });

    List<SpanData> spans = received(3);
    assertEquals("GET /users/{id} a", spans.get(0).getName());
    SpanData first = spans.get(0);
    assertNull(first.getAttributes().get(stringKey("db.statement")));
    assertEquals("REDACTED", first.getAttributes().get(stringKey("user.email")));
    assertEquals("/users/4", first.getAttributes().get(stringKey("http.target")), "capped at 8");
    String hashA = first.getAttributes().get(stringKey("user.id"));
    String hashB = spans.get(1).getAttributes().get(stringKey("user.id"));
    String hashC = spans.get(2).getAttributes().get(stringKey("user.id"));
    assertEquals(32, hashA.length());
    assertEquals(hashA, hashB, "equal values hash equal: still joinable");
    assertNotEquals(hashA, hashC);
    assertEquals("REDACTED", first.getEvents().get(0).getAttributes().get(stringKey("user.email")));
    for (String secret : List.of("alice@example.com", "4111", "/users/42", "SELECT")) {
      assertFalse(onTheWire(secret), secret + " crossed the VM boundary");
    }
  }

  @Test
  void offSwitchOpensNoSocketAtAll() throws Exception {
    Path socket = dir.resolve("host.sock");
    try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      listener.bind(UnixDomainSocketAddress.of(socket));
      listener.configureBlocking(false);
      VsockSpanExporter e =
          VsockSpanExporter.builder().setEndpoint("unix:" + socket).setEnabled(false).build();
      SdkTracerProvider sdk =
          SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(e)).build();
      sensitiveSpan(sdk.get("policy"), "charge", "42");
      assertTrue(sdk.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(sdk.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
      assertNull(listener.accept(), "a disabled exporter connected");
    }
  }

  @Test
  void hostAppliesItsOwnPolicyPerGuestIdentity() throws Exception {
    Path strict = dir.resolve("tenant-strict.sock");
    Path open = dir.resolve("tenant-open.sock");
    AttributePolicy strictPolicy = AttributePolicy.builder().denyKeys("user.*").build();
    receiver(
        PolicySink.create(
            recordingSink(SpanExporterSink.create(decoded)),
            batch ->
                strict
                        .toString()
                        .equals(batch.identity().get(stringKey("spantransport.peer.socket_path")))
                    ? strictPolicy
                    : null),
        "unix:" + strict,
        "unix:" + open);
    guest(strict, VsockSpanExporter.builder(), t -> sensitiveSpan(t, "a-strict", "1"));
    guest(open, VsockSpanExporter.builder(), t -> sensitiveSpan(t, "b-open", "2"));

    List<SpanData> spans = received(2);
    assertNull(spans.get(0).getAttributes().get(stringKey("user.email")));
    assertNull(spans.get(0).getAttributes().get(stringKey("user.id")));
    assertEquals(3, spans.get(0).getAttributes().size());
    assertEquals(5, spans.get(0).getTotalAttributeCount(), "the 2 dropped are counted");
    assertEquals("alice@example.com", spans.get(1).getAttributes().get(stringKey("user.email")));
  }

  @Test
  void noPolicyCanForgeOrEraseTheGuestsIdentity() throws Exception {
    Path socket = dir.resolve("host.sock");
    AttributePolicy hostile =
        AttributePolicy.builder()
            .denyKeys("spantransport.*")
            .redactKeys("*")
            .setMaxValueLength(1)
            .build();
    receiver(
        PolicySink.create(recordingSink(SpanExporterSink.create(decoded)), hostile),
        "unix:" + socket);
    guest(
        socket,
        VsockSpanExporter.builder()
            .setAttributePolicy(AttributePolicy.builder().allowKeys("*").build()),
        t -> sensitiveSpan(t, "charge", "42"));

    SpanData span = received(1).get(0);
    assertEquals(
        socket.toString(),
        span.getResource().getAttribute(stringKey("spantransport.peer.socket_path")),
        "identity comes from the socket, whatever either policy says");
    assertEquals(
        "unix", span.getResource().getAttribute(stringKey("spantransport.peer.transport")));
    assertEquals("REDACTED", span.getResource().getAttribute(stringKey("service.name")));
    assertFalse(onTheWire("/forged/path"), "a forged identity reached the sinks");
  }
}
