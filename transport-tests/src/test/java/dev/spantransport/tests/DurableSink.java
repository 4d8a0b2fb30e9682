package dev.spantransport.tests;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test JVM's end of {@link ForwardingSink}: records every complete record in a {@link
 * SpanLedger}, then acknowledges it. A record cut short by a killed receiver is discarded (it was
 * never acknowledged, so the receiver never acked it to the guest).
 */
final class DurableSink implements AutoCloseable {

  private final Path path;
  private final SpanLedger ledger;
  private final ServerSocketChannel server;
  private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
  private final Thread acceptor;
  private volatile long truncated;

  DurableSink(Path path, SpanLedger ledger) throws IOException {
    this.path = path;
    this.ledger = ledger;
    Files.deleteIfExists(path);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    acceptor = new Thread(this::accept, "durable-sink-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  Path path() {
    return path;
  }

  /** Records cut short by a dying receiver. */
  long truncated() {
    return truncated;
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        connections.add(c);
        Thread t = new Thread(() -> serve(c), "durable-sink-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel c) {
    ByteBuffer length = ByteBuffer.allocate(4);
    ByteBuffer ack = ByteBuffer.allocate(1);
    try (c) {
      while (true) {
        length.clear();
        if (!readFully(c, length, true)) {
          return;
        }
        ByteBuffer record = ByteBuffer.allocate(length.getInt(0));
        readFully(c, record, false);
        record.flip();
        byte[] session = new byte[record.getShort() & 0xffff];
        record.get(session);
        long sequence = record.getLong();
        ledger.record(
            new String(session, StandardCharsets.US_ASCII),
            sequence,
            record.array(),
            record.position(),
            record.remaining());
        ack.clear();
        ack.put((byte) 1).flip();
        while (ack.hasRemaining()) {
          c.write(ack);
        }
      }
    } catch (EOFException e) {
      truncated++;
    } catch (IOException e) {
      // the receiver died; its unacknowledged record is resent by the guest
    } finally {
      connections.remove(c);
    }
  }

  /** Fills {@code b}; returns false on a clean end of stream before the first byte. */
  private static boolean readFully(SocketChannel c, ByteBuffer b, boolean eofOk)
      throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        if (eofOk && b.position() == 0) {
          return false;
        }
        throw new EOFException("record cut short at " + b.position() + " of " + b.capacity());
      }
    }
    return true;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (SocketChannel c : connections) {
      c.close();
    }
    Files.deleteIfExists(path);
  }
}
