package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.ServerHello;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host that dies (its socket closed by the kernel, as after SIGKILL) while the guest waits for an
 * ACK: the guest must see the hang-up at once and resend on a new connection, not only after its
 * export timeout (here 10 minutes).
 */
class HostHangupTest {

  @TempDir Path dir;

  @Test
  void guestReconnectsAtOnceWhenTheHostHangsUpWhileBatchesAreUnacked() throws Exception {
    Path socket = dir.resolve("host.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      ArrayBlockingQueue<SocketChannel> accepted = new ArrayBlockingQueue<>(16);
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(server.accept());
                  }
                } catch (IOException e) {
                  // server closed
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      try (Guests guest =
          new Guests(Guests.fastBuilder(socket).setTimeout(Duration.ofMinutes(10)))) {
        guest.exporter.export(TestSpans.batch(0, 10));
        SocketChannel first = accepted.poll(30, TimeUnit.SECONDS);
        assertNotNull(first, "guest never connected");
        assertEquals(FrameType.CLIENT_HELLO, readFrameType(first));
        byte[] hello = new byte[ServerHello.FRAME_LENGTH];
        FrameWriter.writeServerHello(hello, 0, 0, ServerHello.create(1, 0, 1 << 20, 1 << 16, 8));
        first.write(ByteBuffer.wrap(hello));
        // the host dies without acking, with the batch's payload still unread in its socket (as a
        // SIGKILLed receiver does): the kernel then reports the hang-up as a reset
        ByteBuffer header = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
        while (header.hasRemaining() && first.read(header) >= 0) {}
        assertEquals(FrameType.SPANS, header.get(FrameDescriptor.TYPE_OFFSET) & 0xff);
        first.close();

        SocketChannel second = accepted.poll(30, TimeUnit.SECONDS);
        assertNotNull(second, "guest did not reconnect within 30 s of the host hanging up");
        // answer as a host that has the batch: SERVER_HELLO acks sequence 1, so shutdown is quick
        assertEquals(FrameType.CLIENT_HELLO, readFrameType(second));
        FrameWriter.writeServerHello(hello, 0, 1, ServerHello.create(1, 0, 1 << 20, 1 << 16, 8));
        second.write(ByteBuffer.wrap(hello));
        assertTrue(guest.flushFully(Duration.ofSeconds(30)), "batch 1 not retired");
        second.close();
      }
    }
  }

  private static int readFrameType(SocketChannel c) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(FrameDescriptor.HEADER_LENGTH);
    while (header.hasRemaining()) {
      if (c.read(header) < 0) {
        throw new IOException("guest closed");
      }
    }
    ByteBuffer payload = ByteBuffer.allocate(header.getInt(FrameDescriptor.LENGTH_OFFSET));
    while (payload.hasRemaining()) {
      if (c.read(payload) < 0) {
        throw new IOException("guest closed");
      }
    }
    return header.get(FrameDescriptor.TYPE_OFFSET) & 0xff;
  }
}
