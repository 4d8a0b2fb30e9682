package dev.spantransport.vsock.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.ByteString;
import dev.spantransport.spi.Endpoint;
import dev.spantransport.wire.FrameReader;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;

/**
 * A minimal guest for tests. It encodes frames by hand from the protocol description (so the
 * receiver is checked against the spec, not against its own encoder) and reads replies with the
 * project's {@link FrameReader}. Reads wait on a selector with a bounded timeout.
 */
final class TestGuest implements AutoCloseable {

  static final int CLIENT_HELLO = 1;
  static final int SERVER_HELLO = 2;
  static final int SPANS = 3;
  static final int ACK = 4;
  static final int ERROR = 5;
  static final int PING = 6;
  static final int PONG = 7;
  static final int GOAWAY = 8;

  static final Duration WAIT = Duration.ofSeconds(10);

  /** A frame read from the receiver; payload copied. */
  record Frame(int type, long sequence, byte[] payload) {
    int errorCode() {
      return ByteBuffer.wrap(payload).getShort() & 0xffff;
    }

    boolean fatal() {
      return payload[2] == 1;
    }

    String message() {
      int skip = type == ERROR ? 3 : 0;
      return new String(payload, skip, payload.length - skip, StandardCharsets.UTF_8);
    }

    int window() {
      return ByteBuffer.wrap(payload).getInt(14);
    }

    @Override
    public String toString() {
      return "Frame{type=" + type + ", seq=" + sequence + ", " + message() + "}";
    }
  }

  private final SocketChannel channel;
  private final Selector selector;
  private final FrameReader reader = new FrameReader(1 << 20);
  private final ByteBuffer in = ByteBuffer.allocate(1 << 16);
  private final ArrayDeque<Frame> frames = new ArrayDeque<>();
  private boolean eof;

  private TestGuest(SocketChannel channel) throws IOException {
    this.channel = channel;
    this.selector = Selector.open();
  }

  static TestGuest connect(Path socket) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    return new TestGuest(ch);
  }

  static TestGuest connect(InetSocketAddress address) throws IOException {
    return new TestGuest(SocketChannel.open(address));
  }

  static TestGuest connect(Endpoint endpoint) throws IOException {
    Path file = dev.spantransport.vsock.socket.SocketFiles.socketFile(endpoint).orElseThrow();
    return connect(file);
  }

  // ------------------------------------------------------------ encoding (from the spec)

  static ByteBuffer header(int type, long sequence, int length) {
    ByteBuffer b = ByteBuffer.allocate(16 + length).order(ByteOrder.BIG_ENDIAN);
    b.putShort((short) 0x5354).put((byte) 1).put((byte) type).putInt(length).putLong(sequence);
    return b;
  }

  static byte[] clientHello(long sessionHigh, long sessionLow, int minVersion, int maxVersion) {
    byte[] agent = "test-guest/1".getBytes(StandardCharsets.UTF_8);
    int length = 2 + 2 + 16 + 4 + 2 + agent.length;
    ByteBuffer b = header(CLIENT_HELLO, 0, length);
    b.putShort((short) minVersion).putShort((short) maxVersion);
    b.putLong(sessionHigh).putLong(sessionLow).putInt(0);
    b.putShort((short) agent.length).put(agent);
    return b.array();
  }

  static byte[] spans(long sequence, byte[] otlp) {
    ByteBuffer b = header(SPANS, sequence, otlp.length);
    b.put(otlp);
    return b.array();
  }

  static byte[] ping(long nonce) {
    return header(PING, nonce, 0).array();
  }

  /** Returns an OTLP request with {@code spanCount} spans and the given resource attributes. */
  static byte[] otlp(int spanCount, Map<String, String> resourceAttributes) {
    Resource.Builder resource = Resource.newBuilder();
    resourceAttributes.forEach(
        (k, v) ->
            resource.addAttributes(
                KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v))));
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = 0; i < spanCount; i++) {
      byte[] traceId = new byte[16];
      Arrays.fill(traceId, (byte) 1);
      byte[] spanId = new byte[8];
      spanId[7] = (byte) (i + 1);
      scope.addSpans(
          Span.newBuilder()
              .setTraceId(ByteString.copyFrom(traceId))
              .setSpanId(ByteString.copyFrom(spanId))
              .setName("span-" + i)
              .setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
              .setStartTimeUnixNano(1_000_000_000L)
              .setEndTimeUnixNano(2_000_000_000L));
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope))
        .build()
        .toByteArray();
  }

  static byte[] otlp(int spanCount) {
    return otlp(spanCount, Map.of("service.name", "guest"));
  }

  // ------------------------------------------------------------ I/O

  TestGuest send(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b);
    }
    return this;
  }

  /** Sends CLIENT_HELLO and returns the SERVER_HELLO. */
  Frame handshake(long sessionHigh, long sessionLow) throws IOException {
    send(clientHello(sessionHigh, sessionLow, 1, 1));
    Frame hello = next();
    assertNotNull(hello, "no SERVER_HELLO");
    assertEquals(SERVER_HELLO, hello.type(), () -> "expected SERVER_HELLO, got " + hello);
    return hello;
  }

  /** Returns the next frame, or null if the connection ended or nothing came within the wait. */
  Frame next() throws IOException {
    return next(WAIT);
  }

  Frame next(Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (frames.isEmpty() && !eof) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      fill(Math.max(1, left / 1_000_000));
    }
    return frames.poll();
  }

  /** Waits for an ACK covering {@code sequence}; fails on anything else but PONG. */
  Frame awaitAck(long sequence) throws IOException {
    while (true) {
      Frame f = next();
      assertNotNull(f, "no ACK for " + sequence);
      if (f.type() == ACK && f.sequence() >= sequence) {
        return f;
      }
      if (f.type() != ACK && f.type() != PONG) {
        throw new AssertionError("expected ACK " + sequence + ", got " + f);
      }
    }
  }

  /**
   * Returns true once the receiver closed the connection, reading and dropping frames until then.
   */
  boolean awaitClosed() throws IOException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!eof) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      fill(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** Returns the frames received so far, plus any that arrive until the connection closes. */
  ArrayDeque<Frame> received() {
    return frames;
  }

  private void fill(long millis) throws IOException {
    channel.configureBlocking(false);
    SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
    try {
      selector.select(millis);
      selector.selectedKeys().clear();
      int n;
      try {
        n = channel.read(in);
      } catch (IOException reset) {
        eof = true;
        return;
      }
      if (n < 0) {
        eof = true;
      }
      if (in.position() > 0) {
        in.flip();
        reader.read(
            in,
            (type, sequence, buffer, offset, length) ->
                frames.add(
                    new Frame(
                        type, sequence, Arrays.copyOfRange(buffer, offset, offset + length))));
        in.compact();
      }
    } finally {
      key.cancel();
      selector.selectNow();
      channel.configureBlocking(true);
    }
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
    selector.close();
  }
}
