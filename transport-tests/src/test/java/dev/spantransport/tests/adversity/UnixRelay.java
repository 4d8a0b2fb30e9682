package dev.spantransport.tests.adversity;

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
 * A Unix-socket relay between guests and a receiver, byte for byte, that can cut every relayed
 * connection at once, both ways: what a VMM's hybrid-vsock muxer is to a guest (Firecracker closes
 * every vsock connection when it restores a snapshot), or a broken link. New connections are
 * relayed again afterwards; while the receiver is away a guest's connection is closed at once, as a
 * refused connect would be.
 */
public final class UnixRelay implements AutoCloseable {

  private final Path listen;
  private final Path target;
  private final ServerSocketChannel server;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;
  private volatile boolean closed;

  /**
   * Listens on {@code listen} (replacing a stale file) and relays each connection to {@code
   * target}.
   *
   * @param listen the socket file guests connect to
   * @param target the receiver's socket file
   */
  public UnixRelay(Path listen, Path target) throws IOException {
    this.listen = listen;
    this.target = target;
    Files.deleteIfExists(listen);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(listen));
    acceptor = new Thread(this::accept, "relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Returns how many guest connections were accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Cuts every connection being relayed, both ends; returns how many sockets were closed. */
  public int cutAll() {
    List<SocketChannel> cut = List.copyOf(open);
    open.removeAll(cut);
    for (SocketChannel c : cut) {
      closeQuietly(c);
    }
    return cut.size();
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
        host = SocketChannel.open(UnixDomainSocketAddress.of(target));
      } catch (IOException e) {
        closeQuietly(guest); // no receiver: the guest sees its connection end
        continue;
      }
      open.add(guest);
      open.add(host);
      pump(guest, host, "relay-up");
      pump(host, guest, "relay-down");
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
                // cut or closed: end this direction
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
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    closed = true;
    server.close();
    cutAll();
    acceptor.join(10_000);
    Files.deleteIfExists(listen);
  }
}
