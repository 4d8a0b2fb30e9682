package dev.spantransport.tests;

import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * A hand-made protocol client over a JDK Unix socket, for hostile and broken guests: writes raw
 * bytes, reads frames with bounded waits.
 */
final class RawGuest implements AutoCloseable {

  /** A frame from the peer; payload copied. */
  record Frame(int type, long sequence, byte[] payload) {}

  final SocketChannel channel;
  private final Selector selector;
  private final ByteBuffer in = ByteBuffer.allocate(1 << 16);

  RawGuest(Path socket) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    channel.configureBlocking(false);
    selector = Selector.open();
    channel.register(selector, SelectionKey.OP_READ);
  }

  static byte[] hello(SessionId session) {
    ClientHello hello = ClientHello.create(session, "raw-guest");
    byte[] b = new byte[hello.frameLength()];
    FrameWriter.writeClientHello(b, 0, hello);
    return b;
  }

  static byte[] frame(int type, long sequence, byte[] payload) {
    byte[] b = new byte[FrameDescriptor.HEADER_LENGTH + payload.length];
    FrameWriter.writeHeader(b, 0, type, sequence, payload.length);
    System.arraycopy(payload, 0, b, FrameDescriptor.HEADER_LENGTH, payload.length);
    return b;
  }

  /** Writes all of {@code bytes}; false if the peer closed. Bounded by {@code timeout}. */
  boolean write(byte[] bytes, Duration timeout) throws IOException, TimeoutException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Selector ws = Selector.open()) {
      channel.register(ws, SelectionKey.OP_WRITE);
      while (b.hasRemaining()) {
        if (channel.write(b) == 0) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new TimeoutException("peer did not read " + b.remaining() + " bytes in time");
          }
          ws.select(Math.max(1, left / 1_000_000));
          ws.selectedKeys().clear();
        }
      }
    } catch (IOException e) {
      if (!channel.isOpen()) {
        throw e;
      }
      return false; // broken pipe / reset: the peer closed
    }
    return true;
  }

  /** Reads the next frame; null at end of stream; throws at the timeout. */
  Frame readFrame(Duration timeout) throws IOException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (in.position() >= FrameDescriptor.HEADER_LENGTH) {
        int length = in.getInt(FrameDescriptor.LENGTH_OFFSET);
        if (in.position() >= FrameDescriptor.HEADER_LENGTH + length) {
          in.flip();
          int type = in.get(FrameDescriptor.TYPE_OFFSET) & 0xff;
          long seq = in.getLong(FrameDescriptor.SEQUENCE_OFFSET);
          byte[] payload = new byte[length];
          in.position(FrameDescriptor.HEADER_LENGTH);
          in.get(payload);
          in.compact();
          return new Frame(type, seq, payload);
        }
      }
      int n;
      try {
        n = channel.read(in);
      } catch (IOException e) {
        return null; // reset by peer
      }
      if (n < 0) {
        return null;
      }
      if (n == 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("no frame within " + timeout);
        }
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
      }
    }
  }

  /** Reads and discards frames until the peer closes; false if it is still open at the timeout. */
  boolean awaitClosed(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        if (readFrame(Duration.ofNanos(left)) == null) {
          return true;
        }
      } catch (TimeoutException e) {
        return false;
      }
    }
  }

  @Override
  public void close() throws IOException {
    selector.close();
    channel.close();
  }
}
