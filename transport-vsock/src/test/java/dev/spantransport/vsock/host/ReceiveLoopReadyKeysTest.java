package dev.spantransport.vsock.host;

import static dev.spantransport.vsock.host.TestGuest.clientHello;
import static dev.spantransport.vsock.host.TestGuest.otlp;
import static dev.spantransport.vsock.host.TestGuest.spans;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spantransport.vsock.host.SteppedLoop.Channels;
import dev.spantransport.vsock.host.TestSinks.RecordingSink;
import dev.spantransport.vsock.host.internal.ReceiveLoop;
import dev.spantransport.vsock.host.internal.ReceiverContext;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The loop takes ready keys from its selector through a callback into an array of its own: when
 * more connections are ready at once than the array first holds, every one of them is handled in
 * the round whose select reported them, on both kinds of selector. The loop is stepped by hand on
 * the test thread, with every wait bounded.
 */
class ReceiveLoopReadyKeysTest {

  /** More than the loop's first array of ready keys holds (16). */
  private static final int GUESTS = 40;

  @TempDir Path dir;

  private SteppedLoop stepped;
  private ReceiveLoop loop;
  private ReceiverContext context;
  private final List<SocketChannel> guests = new ArrayList<>();

  @AfterEach
  void close() throws IOException {
    for (SocketChannel g : guests) {
      g.close();
    }
    if (loop != null) {
      loop.close();
    }
  }

  private Path socket() {
    return dir.resolve("r.sock");
  }

  private void start(Channels channels, RecordingSink sink) throws IOException {
    stepped = SteppedLoop.start(channels, SpanReceiver.builder().addSink(sink), socket());
    loop = stepped.loop;
    context = stepped.context;
  }

  @ParameterizedTest
  @EnumSource(Channels.class)
  void handlesEveryConnectionThatIsReadyInTheRoundThatSawIt(Channels channels) throws Exception {
    RecordingSink sink = new RecordingSink();
    start(channels, sink);
    for (int i = 0; i < GUESTS; i++) {
      SocketChannel guest = SocketChannel.open(StandardProtocolFamily.UNIX);
      guests.add(guest);
      guest.connect(UnixDomainSocketAddress.of(socket()));
    }
    stepped.stepUntil(() -> context.connectionCount() == GUESTS, "every guest is connected");
    stepped.stepUntilQuiet();
    assertEquals(0, sink.seen.size());

    byte[] frames = otlp(1);
    for (int i = 0; i < GUESTS; i++) {
      ByteBuffer b = ByteBuffer.allocate(256 + frames.length);
      b.put(clientHello(7, i + 1, 1, 1)).put(spans(1, frames)).flip();
      while (b.hasRemaining()) {
        guests.get(i).write(b);
      }
    }
    loop.doWork();
    assertEquals(GUESTS, sink.seen.size(), "every ready connection's batch, in one round");

    stepped.stepUntilQuiet();
    loop.idle(1);
    assertEquals(0, loop.doWork(), "nothing is reported twice");
    assertEquals(GUESTS, sink.seen.size());
  }
}
