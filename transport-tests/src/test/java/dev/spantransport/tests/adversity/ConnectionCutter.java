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

/**
 * A Unix-socket relay between guests and a receiver that can cut every relayed connection at once,
 * both ways, as a broken link or a guest giving up on its connection would. New connections are
 * relayed again afterwards.
 */
public final class ConnectionCutter implements AutoCloseable {

  private final ServerSocketChannel server;
  private final Path target;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  private final Thread acceptor;
  private volatile boolean closed;

  /**
   * Listens on {@code listen} and relays each connection to {@code target}.
   *
   * @param listen the socket file guests connect to
   * @param target the receiver's socket file
   */
  public ConnectionCutter(Path listen, Path target) throws IOException {
    this.target = target;
    Files.deleteIfExists(listen);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(listen));
    acceptor = new Thread(this::accept, "cutter-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (!closed) {
      try {
        SocketChannel guest = server.accept();
        SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(target));
        open.add(guest);
        open.add(host);
        pump(guest, host);
        pump(host, guest);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(SocketChannel from, SocketChannel to) {
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
              }
              closeQuietly(from);
              closeQuietly(to);
            },
            "cutter-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Cuts every connection relayed so far; returns how many sockets were closed. */
  public int cutAll() {
    int n = 0;
    for (SocketChannel c : open) {
      closeQuietly(c);
      open.remove(c);
      n++;
    }
    return n;
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    cutAll();
  }
}
