package dev.spantransport.tests.adversity;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * One peer that opens as many TCP connections as it can to a receiver and holds them open, all from
 * one local address (127.0.0.2, say, which is loopback too), so that the receiver sees a single
 * peer.
 */
public final class ConnectionFlood implements AutoCloseable {

  private final List<SocketChannel> channels = new ArrayList<>();

  private ConnectionFlood() {}

  /**
   * Opens {@code count} connections from {@code from} to {@code to}, one after another.
   *
   * @param from the local address every connection is bound to
   * @param to the receiver
   * @param count how many
   * @return the open connections
   * @throws IOException if a connection cannot be made at all
   */
  public static ConnectionFlood open(InetAddress from, InetSocketAddress to, int count)
      throws IOException {
    ConnectionFlood flood = new ConnectionFlood();
    try {
      for (int i = 0; i < count; i++) {
        SocketChannel c = SocketChannel.open();
        flood.channels.add(c);
        c.bind(new InetSocketAddress(from, 0));
        c.connect(to);
        c.configureBlocking(false);
      }
    } catch (IOException | RuntimeException e) {
      flood.close();
      throw e;
    }
    return flood;
  }

  /**
   * Returns how many of the connections the receiver has closed (end of stream or reset), reading
   * and discarding anything else it sent.
   *
   * @return the number closed by the receiver
   */
  public int closedByPeer() {
    ByteBuffer scratch = ByteBuffer.allocate(256);
    int closed = 0;
    for (SocketChannel c : channels) {
      try {
        scratch.clear();
        if (c.read(scratch) < 0) {
          closed++;
        }
      } catch (IOException e) {
        closed++;
      }
    }
    return closed;
  }

  @Override
  public void close() {
    for (SocketChannel c : channels) {
      try {
        c.close();
      } catch (IOException e) {
        // closing a test connection
      }
    }
  }
}
