package dev.spantransport.vsock.host;

import static dev.spantransport.vsock.host.HttpTestClient.gzip;
import static dev.spantransport.vsock.host.HttpTestClient.protobufPost;
import static dev.spantransport.vsock.host.HttpTestClient.request;
import static dev.spantransport.vsock.host.TestGuest.otlp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedInputStream;
import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanExporterSink;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.vsock.host.HttpTestClient.Response;
import dev.spantransport.vsock.host.TestSinks.HoldingSink;
import dev.spantransport.vsock.host.TestSinks.RecordingSink;
import dev.spantransport.vsock.host.TestSinks.Seen;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class OtlpHttpIngressTest {

  private static final AttributeKey<String> TRANSPORT =
      AttributeKey.stringKey("spantransport.peer.transport");
  private static final AttributeKey<String> ADDRESS =
      AttributeKey.stringKey("spantransport.peer.address");
  private static final AttributeKey<Long> PORT = AttributeKey.longKey("spantransport.peer.port");
  private static final int MAX_FRAME = 1024 * 1024;

  private SpanReceiver receiver;
  private int port;

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown().join(20, TimeUnit.SECONDS);
    }
  }

  private SpanReceiverBuilder tcpReceiver(SpanSink sink) throws Exception {
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    return SpanReceiver.builder()
        .addEndpoint(TestEndpoints.tcp(port))
        .addSink(sink)
        .setMaxFrameLength(MAX_FRAME);
  }

  private void start(SpanReceiverBuilder builder) {
    receiver = builder.build();
    CompletableResultCode started = receiver.start();
    assertTrue(started.isSuccess(), () -> "not started: " + started.getFailureThrowable());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Returns the message of the google.rpc.Status in an error reply (field 2). */
  private static String message(Response r) throws Exception {
    CodedInputStream in = CodedInputStream.newInstance(r.body());
    String message = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == 0x12) {
        message = in.readString();
      } else {
        in.skipField(tag);
      }
    }
    return message;
  }

  private void assertServesAnotherRequest(RecordingSink sink) throws Exception {
    int before = sink.seen.size();
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      assertEquals(200, client.send(protobufPost(otlp(1))).read().status());
    }
    assertEquals(before + 1, sink.seen.size());
  }

  // ------------------------------------------------------------ delivery

  @Test
  void protobufPostIsDeliveredWithTheSocketsIdentityAndAnswered200() throws Exception {
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    start(tcpReceiver(SpanExporterSink.create(exported)));
    byte[] forged =
        otlp(3, Map.of("service.name", "guest", "spantransport.peer.address", "10.9.9.9"));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r = client.send(protobufPost(forged)).read();
      assertEquals(200, r.status());
      assertEquals("application/x-protobuf", r.header("Content-Type"));
      assertFalse(ExportTraceServiceResponse.parseFrom(r.body()).hasPartialSuccess());
    }
    List<SpanData> spans = exported.getFinishedSpanItems();
    assertEquals(3, spans.size());
    for (SpanData span : spans) {
      assertEquals("tcp", span.getResource().getAttribute(TRANSPORT));
      assertEquals("127.0.0.1", span.getResource().getAttribute(ADDRESS));
      assertTrue(span.getResource().getAttribute(PORT) > 0);
      assertEquals(
          "guest", span.getResource().getAttribute(AttributeKey.stringKey("service.name")));
    }
  }

  @Test
  void jsonPostWithHexIdsArrivesAsTheSameSpansAndIsAnsweredInJson() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    String json =
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
            + "\"value\":{\"stringValue\":\"node\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},"
            + "\"spans\":[{\"traceId\":\"5B8EFFF798038103D269B633813FC60C\","
            + "\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"eee19b7ec3c1b173\","
            + "\"name\":\"GET /\",\"kind\":2,\"startTimeUnixNano\":\"1544712660000000000\","
            + "\"endTimeUnixNano\":1544712661000000000,\"status\":{\"code\":\"STATUS_CODE_OK\"},"
            + "\"links\":[{\"traceId\":\"00000000000000000000000000000001\","
            + "\"spanId\":\"0000000000000002\"}],\"unknownField\":7}]}]}]}";
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "application/json; charset=utf-8"),
                      json.getBytes(StandardCharsets.UTF_8)))
              .read();
      assertEquals(200, r.status());
      assertEquals("application/json", r.header("Content-Type"));
      assertEquals("{}", new String(r.body(), StandardCharsets.UTF_8));
    }
    Seen seen = sink.await();
    assertEquals(1, seen.spanCount());
    io.opentelemetry.proto.trace.v1.Span span =
        ExportTraceServiceRequest.parseFrom(seen.payload())
            .getResourceSpans(0)
            .getScopeSpans(0)
            .getSpans(0);
    assertEquals("5b8efff798038103d269b633813fc60c", hex(span.getTraceId().toByteArray()));
    assertEquals("eee19b7ec3c1b174", hex(span.getSpanId().toByteArray()));
    assertEquals("eee19b7ec3c1b173", hex(span.getParentSpanId().toByteArray()));
    assertEquals(
        "00000000000000000000000000000001", hex(span.getLinks(0).getTraceId().toByteArray()));
    assertEquals(SpanKind.SPAN_KIND_SERVER, span.getKind());
    assertEquals(1544712660000000000L, span.getStartTimeUnixNano());
    assertEquals(1544712661000000000L, span.getEndTimeUnixNano());
    assertEquals("tcp", seen.identity().get(TRANSPORT));
  }

  @Test
  void jsonWithIdsThatAreNotHexGets400() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    String json =
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\","
            + "\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"x\"}]}]}]}";
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "application/json"),
                      json.getBytes(StandardCharsets.UTF_8)))
              .read();
      assertEquals(400, r.status());
      assertTrue(new String(r.body(), StandardCharsets.UTF_8).contains("traceId must be"));
    }
    assertEquals(0, sink.seen.size());
  }

  @Test
  void gzipBodyIsInflatedBeforeDelivery() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    byte[] payload = otlp(4);
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "application/x-protobuf", "Content-Encoding", "gzip"),
                      gzip(payload)))
              .read();
      assertEquals(200, r.status());
    }
    Seen seen = sink.await();
    assertArrayEquals(payload, seen.payload());
    assertEquals(4, seen.spanCount());
  }

  @Test
  void gzipBombGets413WithoutHoldingMoreThanTheFrameLimit() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    long baseline = receiver.bufferedBytes();
    // 64 MiB of zeros compress to about 64 KiB: far under the 1 MiB frame limit on the wire.
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(compressed)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        z.write(zeros);
      }
    }
    assertTrue(compressed.size() < MAX_FRAME);
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "application/x-protobuf", "Content-Encoding", "gzip"),
                      compressed.toByteArray()))
              .read();
      assertEquals(413, r.status());
      assertTrue(message(r).contains("inflates to more than the limit of 1048576 bytes"));
      // The body was read in full, so the connection carries on.
      assertEquals(200, client.send(protobufPost(otlp(1))).read().status());
    }
    assertEquals(1, sink.seen.size());
    await(() -> receiver.bufferedBytes() == baseline, "the budget is back to its baseline");
  }

  @Test
  void corruptGzipGets400() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    byte[] truncated = gzip(otlp(2));
    truncated = java.util.Arrays.copyOf(truncated, truncated.length - 6);
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "application/x-protobuf", "Content-Encoding", "gzip"),
                      truncated))
              .read();
      assertEquals(400, r.status());
      assertTrue(message(r).startsWith("gzip body is corrupt"));
    }
    assertEquals(0, sink.seen.size());
  }

  // ------------------------------------------------------------ connection reuse

  @Test
  void keepAliveServesFiveRequestsOnOneConnection() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      for (int i = 1; i <= 5; i++) {
        Response r = client.send(protobufPost(otlp(i))).read();
        assertEquals(200, r.status());
        assertNull(r.header("Connection"));
      }
    }
    assertEquals(5, sink.seen.size());
    for (int i = 1; i <= 5; i++) {
      assertEquals(i, sink.seen.get(i - 1).sequence());
      assertEquals(i, sink.seen.get(i - 1).spanCount());
    }
  }

  @Test
  void pipelinedRequestsReachTheSinksOneAtATimeAndAreAnsweredInOrder() throws Exception {
    AtomicInteger inSink = new AtomicInteger();
    AtomicInteger mostInSink = new AtomicInteger();
    HoldingSink holding = new HoldingSink();
    SpanSink counting =
        new SpanSink() {
          @Override
          public CompletableResultCode accept(SpanBatch batch) {
            mostInSink.accumulateAndGet(inSink.incrementAndGet(), Math::max);
            CompletableResultCode result = holding.accept(batch);
            result.whenComplete(inSink::decrementAndGet);
            return result;
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    start(tcpReceiver(counting));
    ByteArrayOutputStream three = new ByteArrayOutputStream();
    three.write(protobufPost(otlp(1)));
    three.write(protobufPost(otlp(2)));
    three.write(protobufPost(otlp(3)));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(three.toByteArray());
      for (int i = 1; i <= 3; i++) {
        HoldingSink.Held held = holding.await();
        assertEquals(i, held.seen().spanCount());
        held.result().succeed();
        assertEquals(200, client.read().status());
      }
    }
    assertEquals(1, mostInSink.get());
  }

  @Test
  void halfClosedClientGetsAnAnswerToEveryPipelinedRequestThenTheConnectionCloses()
      throws Exception {
    RecordingSink sink = new RecordingSink();
    sink.failing.set(true);
    start(tcpReceiver(sink));
    ByteArrayOutputStream two = new ByteArrayOutputStream();
    two.write(protobufPost(otlp(1)));
    two.write(protobufPost(otlp(2)));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(two.toByteArray()).shutdownOutput();
      assertEquals(503, client.read().status());
      assertEquals(503, client.read().status());
      assertTrue(client.awaitClosed());
    }
    assertEquals(2, sink.arrivals.size());
  }

  @Test
  void requestSplitOneByteAtATimeIsDelivered() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    byte[] payload = otlp(2);
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      assertEquals(200, client.sendByteByByte(protobufPost(payload)).read().status());
    }
    assertArrayEquals(payload, sink.await().payload());
  }

  @Test
  void chunkedBodyIsDelivered() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    byte[] payload = otlp(3);
    int half = payload.length / 2;
    ByteArrayOutputStream chunked = new ByteArrayOutputStream();
    chunked.write(
        ("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(half)
                + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    chunked.write(payload, 0, half);
    chunked.write(
        ("\r\n" + Integer.toHexString(payload.length - half) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    chunked.write(payload, half, payload.length - half);
    chunked.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      assertEquals(200, client.send(chunked.toByteArray()).read().status());
    }
    assertArrayEquals(payload, sink.await().payload());
  }

  // ------------------------------------------------------------ refusals

  @Test
  void contentLengthOverTheFrameLimitGets413BeforeTheBodyIsSent() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    long baseline = receiver.bufferedBytes();
    String head =
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            + "Content-Length: 1073741824\r\n\r\n";
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r = client.send(head.getBytes(StandardCharsets.US_ASCII)).read();
      assertEquals(413, r.status());
      assertEquals("close", r.header("Connection"));
      assertEquals("request body must be at most 1048576 bytes: 1073741824", message(r));
      assertTrue(client.awaitClosed());
    }
    assertEquals(0, sink.seen.size());
    await(() -> receiver.bufferedBytes() == baseline, "nothing of the body stays reserved");
    assertServesAnotherRequest(sink);
  }

  @Test
  void unsupportedContentTypeGets415AndTheConnectionStaysUsable() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "text/plain"),
                      "hello".getBytes(StandardCharsets.US_ASCII)))
              .read();
      assertEquals(415, r.status());
      assertEquals(
          "Content-Type must be application/x-protobuf or application/json: text/plain",
          message(r));
      assertEquals(200, client.send(protobufPost(otlp(1))).read().status());
    }
    assertEquals(1, sink.seen.size());
  }

  @Test
  void unsupportedContentEncodingGets415() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r =
          client
              .send(
                  request(
                      "POST",
                      "/v1/traces",
                      Map.of("Content-Type", "application/x-protobuf", "Content-Encoding", "br"),
                      otlp(1)))
              .read();
      assertEquals(415, r.status());
    }
    assertEquals(0, sink.seen.size());
  }

  @Test
  void wrongPathGets404AndWrongMethodGets405() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response notFound =
          client
              .send(
                  request(
                      "POST",
                      "/v1/spans",
                      Map.of("Content-Type", "application/x-protobuf"),
                      otlp(1)))
              .read();
      assertEquals(404, notFound.status());
      Response logs =
          client
              .send(
                  request(
                      "POST",
                      "/v1/logs",
                      Map.of("Content-Type", "application/x-protobuf"),
                      new byte[0]))
              .read();
      assertEquals(404, logs.status());
      assertEquals(
          "this receiver takes no log records (it has no sink for them): /v1/logs", message(logs));
      Response put =
          client
              .send(
                  request(
                      "PUT",
                      "/v1/traces",
                      Map.of("Content-Type", "application/x-protobuf"),
                      otlp(1)))
              .read();
      assertEquals(405, put.status());
      assertEquals("POST", put.header("Allow"));
      Response get = client.send(request("GET", "/v1/traces", Map.of(), new byte[0])).read();
      assertEquals(405, get.status());
    }
    assertEquals(0, sink.seen.size());
  }

  @Test
  void malformedProtobufGets400WithAStatusMessage() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r = client.send(protobufPost(new byte[] {0x0a, 0x7f, 0x01})).read();
      assertEquals(400, r.status());
      assertTrue(message(r).startsWith("not an OTLP ExportTraceServiceRequest"), message(r));
      assertEquals(200, client.send(protobufPost(otlp(1))).read().status());
    }
    assertEquals(1, sink.seen.size());
  }

  @Test
  void malformedRequestLineGets400AndClose() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      String bad = "POST /v1/traces HTTP/1.1\r\nContent-Length: nope\r\n\r\n";
      Response r = client.send(bad.getBytes(StandardCharsets.US_ASCII)).read();
      assertEquals(400, r.status());
      assertTrue(client.awaitClosed());
    }
    assertServesAnotherRequest(sink);
  }

  @Test
  void headersOverTheLimitGet431() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      String big = "x".repeat(20_000);
      String head =
          "POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\nContent-Length: 0\r\n\r\n";
      Response r = client.send(head.getBytes(StandardCharsets.US_ASCII)).read();
      assertEquals(431, r.status());
      assertTrue(client.awaitClosed());
    }
    assertServesAnotherRequest(sink);
  }

  @Test
  void moreSpansThanTheLimitAreReportedAsAPartialSuccess() throws Exception {
    RecordingSink sink = new RecordingSink();
    start(tcpReceiver(sink).setMaxSpansPerFrame(2));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      Response r = client.send(protobufPost(otlp(3))).read();
      assertEquals(200, r.status());
      ExportTraceServiceResponse response = ExportTraceServiceResponse.parseFrom(r.body());
      assertEquals(3, response.getPartialSuccess().getRejectedSpans());
      assertEquals(
          "spans per request must be at most 2: 3", response.getPartialSuccess().getErrorMessage());
    }
    assertEquals(0, sink.seen.size());
  }

  // ------------------------------------------------------------ sinks and backpressure

  @Test
  void responseWaitsForTheSinkAndASinkFailureGets503WithRetryAfter() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(protobufPost(otlp(1)));
      HoldingSink.Held held = sink.await();
      // Had the receiver answered before the sink finished, this would be a 200.
      held.result().fail();
      Response r = client.read();
      assertEquals(503, r.status());
      assertEquals("1", r.header("Retry-After"));
      client.send(protobufPost(otlp(2)));
      sink.await().result().succeed();
      assertEquals(200, client.read().status());
    }
  }

  @Test
  void aSinksPermanentRefusalGets400() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(protobufPost(otlp(1)));
      sink.await()
          .result()
          .failExceptionally(new BatchRejectedException("collector said 400: bad span"));
      Response r = client.read();
      assertEquals(400, r.status());
      assertEquals("a sink refused the batch: collector said 400: bad span", message(r));
    }
  }

  @Test
  void aRefusedRequestDoesNotMakeTheNextOneOnTheConnectionFail() throws Exception {
    HoldingSink sink = new HoldingSink();
    start(tcpReceiver(sink));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(protobufPost(otlp(1)));
      sink.await().result().failExceptionally(new BatchRejectedException("bad span"));
      assertEquals(400, client.read().status());

      client.send(protobufPost(otlp(1)));
      sink.await().result().succeed();
      assertEquals(200, client.read().status());
    }
  }

  @Test
  void bodyTheMemoryBudgetCannotCoverGets429WithRetryAfter() throws Exception {
    HoldingSink sink = new HoldingSink();
    // The smallest budget the builder allows: two frames. One held request takes most of it.
    int frame = 64 * 1024;
    start(tcpReceiver(sink).setMaxFrameLength(frame).setReceiveBufferBudget(2L * frame));
    byte[] big = otlp(1000);
    assertTrue(big.length > frame * 3 / 4 && big.length <= frame, "payload of " + big.length);
    try (HttpTestClient holder = HttpTestClient.connect(port);
        HttpTestClient client = HttpTestClient.connect(port)) {
      holder.send(protobufPost(big));
      HoldingSink.Held held = sink.await();
      Response r = client.send(protobufPost(big)).read();
      assertEquals(429, r.status());
      assertEquals("1", r.header("Retry-After"));
      assertEquals("receiver memory budget exhausted; retry later", message(r));
      held.result().succeed();
      assertEquals(200, holder.read().status());
      // The refused body was read and dropped: the same connection takes the retry.
      client.send(protobufPost(big));
      sink.await().result().succeed();
      assertEquals(200, client.read().status());
    }
  }

  @Test
  void whileTheSinkHoldsARequestTheConnectionIsNotRead() throws Exception {
    HoldingSink sink = new HoldingSink();
    // The pipelined requests left over stay in the sink at the end: do not wait for them.
    start(tcpReceiver(sink).setShutdownTimeout(java.time.Duration.ofMillis(100)));
    try (HttpTestClient client = HttpTestClient.connect(port)) {
      client.send(protobufPost(otlp(1)));
      HoldingSink.Held first = sink.await();
      // 64 MiB of further requests: more than the kernel's socket buffers on both sides can hold
      // (tcp_wmem + tcp_rmem maxima), so the writer can only finish if the receiver reads them.
      byte[] next = protobufPost(otlp(50));
      long total = 64L << 20;
      java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
      Thread writer =
          new Thread(
              () -> {
                try {
                  while (written.get() < total) {
                    client.send(next);
                    written.addAndGet(next.length);
                  }
                } catch (java.io.IOException e) {
                  // the test closes the socket at the end
                }
              });
      writer.setDaemon(true);
      writer.start();
      writer.join(3000);
      assertTrue(writer.isAlive(), "the writer got all " + written.get() + " bytes in");
      assertTrue(written.get() < total);
      assertEquals(0, sink.held.size());
      first.result().succeed();
      assertEquals(200, client.read().status());
      HoldingSink.Held second = sink.await();
      assertEquals(50, second.seen().spanCount());
      second.result().succeed();
      assertEquals(200, client.read().status());
    }
  }

  // ------------------------------------------------------------ real clients

  @Test
  void openTelemetryJavaOtlpHttpSpanExporterDeliversOverTcp() throws Exception {
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    start(tcpReceiver(SpanExporterSink.create(exported)));
    Set<String> names = new HashSet<>();
    for (String compression : List.of("none", "gzip")) {
      OtlpHttpSpanExporter exporter =
          OtlpHttpSpanExporter.builder()
              .setEndpoint("http://127.0.0.1:" + port + "/v1/traces")
              .setCompression(compression)
              .build();
      SdkTracerProvider provider =
          SdkTracerProvider.builder()
              .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
              .build();
      Tracer tracer = provider.get("interop");
      for (int i = 0; i < 10; i++) {
        Span span = tracer.spanBuilder(compression + "-" + i).startSpan();
        span.end();
        names.add(compression + "-" + i);
      }
      assertTrue(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
      assertTrue(provider.shutdown().join(10, TimeUnit.SECONDS).isSuccess());
    }
    List<SpanData> spans = exported.getFinishedSpanItems();
    assertEquals(20, spans.size());
    Set<String> got = new HashSet<>();
    for (SpanData span : spans) {
      got.add(span.getName());
      assertEquals("tcp", span.getResource().getAttribute(TRANSPORT));
      assertEquals("127.0.0.1", span.getResource().getAttribute(ADDRESS));
    }
    assertEquals(names, got);
  }

  private static String hex(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      b.append(String.format("%02x", x));
    }
    return b.toString();
  }
}
