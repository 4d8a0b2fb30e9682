package dev.spantransport.vsock.host;

import static dev.spantransport.vsock.host.TestGuest.clientHello;
import static dev.spantransport.vsock.host.TestGuest.otlp;
import static dev.spantransport.vsock.host.TestGuest.spans;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.vsock.host.SteppedLoop.Channels;
import dev.spantransport.vsock.host.TestSinks.HoldingSink;
import dev.spantransport.vsock.host.TestSinks.RecordingSink;
import dev.spantransport.vsock.host.TestSinks.Seen;
import dev.spantransport.vsock.host.internal.ReceiveLoop;
import dev.spantransport.vsock.host.internal.ReceiverContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A guest that writes its last frames and hangs up at once, on both kinds of listening channel.
 * junixsocket's poll-based selector (the one real AF_VSOCK listeners use) turns the connection's
 * key invalid on the hang-up instead of reporting it readable, while the channel stays open with
 * the guest's bytes and the end of stream still to be read. The loop is stepped by hand on the test
 * thread, with every wait bounded.
 */
class ReceiveLoopHangUpTest {

  @TempDir Path dir;

  private SteppedLoop stepped;
  private ReceiveLoop loop;
  private ReceiverContext context;

  @AfterEach
  void closeLoop() {
    if (loop != null) {
      loop.close();
    }
  }

  private Path socket() {
    return dir.resolve("r.sock");
  }

  private void start(Channels channels, SpanReceiverBuilder builder) throws IOException {
    stepped = SteppedLoop.start(channels, builder, socket());
    loop = stepped.loop;
    context = stepped.context;
  }

  /** Connects, writes {@code bytes} and closes without reading anything. */
  private void writeAndHangUp(byte[] bytes) throws IOException {
    try (SocketChannel guest = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      guest.connect(UnixDomainSocketAddress.of(socket()));
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        guest.write(b);
      }
    }
  }

  private static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] legacyFrames(int count) {
    ByteBuffer b = ByteBuffer.allocate(count * 12);
    for (int i = 0; i < count; i++) {
      b.putLong(4).putInt(0x7b7d0a0a + i);
    }
    return b.array();
  }

  private static List<Long> sequences(List<Seen> seen) {
    return seen.stream().map(Seen::sequence).collect(Collectors.toList());
  }

  private static List<Long> oneTo(int n) {
    return java.util.stream.LongStream.rangeClosed(1, n).boxed().collect(Collectors.toList());
  }

  @ParameterizedTest
  @EnumSource(Channels.class)
  void deliversEverySpansFrameWrittenJustBeforeTheGuestHungUp(Channels channels) throws Exception {
    RecordingSink sink = new RecordingSink();
    start(channels, SpanReceiver.builder().addSink(sink));
    int batches = SpanReceiverBuilder.DEFAULT_WINDOW;
    List<byte[]> frames = new java.util.ArrayList<>();
    frames.add(clientHello(3, 4, 1, 1));
    for (int s = 1; s <= batches; s++) {
      frames.add(spans(s, otlp(2)));
    }
    writeAndHangUp(concat(frames));

    stepped.stepUntil(
        () ->
            sink.seen.size() == batches
                && context.connectionCount() == 0
                && context.bufferedBytes() == 0,
        "every batch reached the sink, the connection closed and its buffers were released");
    assertEquals(oneTo(batches), sequences(sink.seen));
    assertEquals(
        batches, context.sessions().session(3, 4).acked(), "the session remembers the acks");
  }

  @ParameterizedTest
  @EnumSource(Channels.class)
  void deliversEveryLegacyFrameWrittenJustBeforeTheGuestHungUp(Channels channels) throws Exception {
    RecordingSink sink = new RecordingSink();
    byte[] converted = otlp(2);
    int frames = 3 * SpanReceiverBuilder.DEFAULT_WINDOW + 1; // more than the window holds
    start(
        channels,
        SpanReceiver.builder()
            .addSink(sink)
            .setLegacyFrameDecoder((buffer, offset, length) -> converted));
    writeAndHangUp(legacyFrames(frames));

    stepped.stepUntil(
        () ->
            sink.seen.size() == frames
                && context.connectionCount() == 0
                && context.bufferedBytes() == 0,
        "every frame reached the sink, the connection closed and its buffers were released");
    assertEquals(oneTo(frames), sequences(sink.seen));
    for (Seen s : sink.seen) {
      assertArrayEquals(converted, s.payload());
    }
  }

  @ParameterizedTest
  @EnumSource(Channels.class)
  void readsWhatIsLeftAfterAHangUpOnceTheFullWindowCompletes(Channels channels) throws Exception {
    HoldingSink sink = new HoldingSink();
    byte[] converted = otlp(1);
    start(
        channels,
        SpanReceiver.builder()
            .addSink(sink)
            .setWindow(1)
            .setLegacyFrameDecoder((buffer, offset, length) -> converted));
    writeAndHangUp(legacyFrames(3));

    for (long sequence = 1; sequence <= 3; sequence++) {
      stepped.stepUntil(() -> !sink.held.isEmpty(), "the sink holds the next batch");
      stepped.stepUntilQuiet(); // the hang-up is seen while the window is full
      assertEquals(1, sink.held.size(), "window 1: one batch in the sink at a time");
      assertEquals(1, context.connectionCount(), "open until the rest is read");
      HoldingSink.Held held = sink.held.poll();
      assertEquals(sequence, held.seen().sequence());
      held.result().succeed();
    }
    stepped.stepUntil(
        () -> context.connectionCount() == 0 && context.bufferedBytes() == 0,
        "the connection closed and its buffers were released");
    assertTrue(sink.held.isEmpty());
  }

  @ParameterizedTest
  @EnumSource(Channels.class)
  void closesAnIdleConnectionInTheRoundThatSeesTheHangUp(Channels channels) throws Exception {
    start(channels, SpanReceiver.builder().addSink(new RecordingSink()));
    try (SocketChannel guest = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      guest.connect(UnixDomainSocketAddress.of(socket()));
      guest.write(ByteBuffer.wrap(clientHello(5, 6, 1, 1)));
      guest.configureBlocking(false);
      ByteBuffer hello = ByteBuffer.allocate(256);
      stepped.stepUntil(
          () -> {
            try {
              guest.read(hello);
            } catch (IOException e) {
              throw new AssertionError(e);
            }
            return hello.position() >= 16;
          },
          "the guest read SERVER_HELLO");
      stepped.stepUntilQuiet();
      assertEquals(1, context.connectionCount());
    }

    loop.idle(TestGuest.WAIT.toMillis()); // returns on the hang-up
    loop.doWork();
    assertEquals(0, context.connectionCount(), "closed in the round that saw the hang-up");
    loop.idle(1);
    assertEquals(0, loop.doWork(), "nothing left to do after the close");
  }
}
