package dev.spantransport.tests;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a VMM's hybrid-vsock muxer is to a guest, reduced to a Unix-socket relay: the guest connects
 * to {@code front}, each connection is relayed byte for byte to the receiver at {@code back}.
 * {@link #resetAll()} closes every relayed connection on both sides at once, as Firecracker does to
 * every vsock connection when it restores a snapshot.
 */
final class ResettingProxy implements AutoCloseable {

  private final Path front;
  private final Path back;
  private final ServerSocketChannel server;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;
  private volatile boolean closed;

  ResettingProxy(Path front, Path back) throws IOException {
    this.front = front;
    this.back = back;
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(front));
    acceptor = new Thread(this::accept, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Returns how many guest connections were relayed so far. */
  int accepted() {
    return accepted.get();
  }

  /** Closes every relayed connection, guest side and receiver side. */
  void resetAll() {
    for (SocketChannel c : open) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    open.clear();
  }

  private void accept() {
    while (!closed) {
      SocketChannel guest;
      try {
        guest = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      SocketChannel host;
      try {
        host = SocketChannel.open(UnixDomainSocketAddress.of(back));
      } catch (IOException e) {
        closeQuietly(guest); // no receiver: the guest sees a refused connection
        continue;
      }
      open.add(guest);
      open.add(host);
      pump(guest, host, "proxy-up");
      pump(host, guest, "proxy-down");
    }
  }

  private void pump(SocketChannel from, SocketChannel to, String name) {
    Thread t =
        new Thread(
            () -> {
              ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
              try {
                while (from.read(buffer) >= 0) {
                  buffer.flip();
                  while (buffer.hasRemaining()) {
                    to.write(buffer);
                  }
                  buffer.clear();
                }
              } catch (IOException e) {
                // reset or closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    closed = true;
    server.close();
    resetAll();
    acceptor.join(10_000);
    Files.deleteIfExists(front);
  }
}
