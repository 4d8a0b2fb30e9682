package dev.spantransport.tests.adversity;

import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorFrame;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.MalformedFrameException;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Slow-loris guests: each completes the handshake, announces one large SPANS frame and then sends
 * its body one byte per {@link #trickle()} call, never finishing it. The fixture records how each
 * connection ended: the receiver's ERROR frame, then the end of stream.
 */
public final class TricklingGuests implements AutoCloseable {

  /** How one trickling connection ended, as far as it has been seen. */
  public static final class Guest {
    final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(4096);
    private boolean serverHelloSeen;
    private ErrorFrame error;
    private boolean closed;
    private long bodyBytesSent;
    private boolean announced;

    Guest(SocketChannel channel) {
      this.channel = channel;
    }

    /** Returns the ERROR frame the receiver sent, or null. */
    public ErrorFrame error() {
      return error;
    }

    /** Returns whether the receiver closed the connection. */
    public boolean closed() {
      return closed;
    }

    /** Returns how many body bytes of the announced frame were sent. */
    public long bodyBytesSent() {
      return bodyBytesSent;
    }
  }

  private final List<Guest> guests = new ArrayList<>();

  private TricklingGuests() {}

  /**
   * Connects {@code count} guests to {@code socket} and completes every handshake.
   *
   * @param socket the receiver's Unix socket
   * @param count how many guests
   * @param timeout bound on the handshakes
   * @return the guests, ready to announce
   * @throws IOException if a guest cannot connect or the receiver does not answer the hello
   */
  public static TricklingGuests connect(Path socket, int count, Duration timeout)
      throws IOException {
    TricklingGuests all = new TricklingGuests();
    try {
      for (int i = 0; i < count; i++) {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        all.guests.add(new Guest(c));
        c.connect(UnixDomainSocketAddress.of(socket));
        ClientHello hello = ClientHello.create(SessionId.random(), "trickler-" + i);
        byte[] b = new byte[hello.frameLength()];
        FrameWriter.writeClientHello(b, 0, hello);
        writeAll(c, ByteBuffer.wrap(b));
        c.configureBlocking(false);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      for (int i = 0; i < count; i++) {
        Guest g = all.guests.get(i);
        while (!g.serverHelloSeen) {
          all.poll(g);
          if (g.closed || System.nanoTime() - deadline > 0) {
            throw new IOException("no SERVER_HELLO for trickler " + i);
          }
          Thread.onSpinWait();
        }
      }
    } catch (IOException | RuntimeException e) {
      all.close();
      throw e;
    }
    return all;
  }

  /**
   * Makes guests {@code from} (inclusive) to {@code to} (exclusive) send the header of a SPANS
   * frame announcing {@code announced} payload bytes, plus its first body byte.
   *
   * @param from first guest
   * @param to after the last guest
   * @param announced the payload length the headers announce
   * @throws IOException if a write fails
   */
  public void announce(int from, int to, int announced) throws IOException {
    for (int i = from; i < to; i++) {
      Guest g = guests.get(i);
      byte[] header = new byte[FrameDescriptor.HEADER_LENGTH + 1];
      FrameWriter.writeHeader(header, 0, FrameType.SPANS, 1, announced);
      header[FrameDescriptor.HEADER_LENGTH] = 0x0a; // first byte of an OTLP request
      writeAll(g.channel, ByteBuffer.wrap(header));
      g.bodyBytesSent = 1;
      g.announced = true;
    }
  }

  private static void writeAll(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.write(b) == 0) {
        Thread.onSpinWait();
      }
    }
  }

  /**
   * Sends one more body byte on every announced connection the receiver has not closed, and reads
   * what the receiver sent on every connection.
   *
   * @return how many connections are still open
   */
  public int trickle() {
    int open = 0;
    for (Guest g : guests) {
      poll(g);
      if (g.closed) {
        continue;
      }
      if (!g.announced) {
        open++;
        continue;
      }
      try {
        if (g.channel.write(ByteBuffer.wrap(new byte[] {0})) == 1) {
          g.bodyBytesSent++;
        }
        open++;
      } catch (IOException e) {
        g.closed = true; // reset by the receiver
      }
    }
    return open;
  }

  private void poll(Guest g) {
    if (g.closed) {
      return;
    }
    try {
      int n;
      while ((n = g.channel.read(g.in)) > 0) {
        parse(g);
      }
      if (n < 0) {
        g.closed = true;
      }
    } catch (IOException e) {
      g.closed = true;
    }
  }

  private static void parse(Guest g) {
    ByteBuffer in = g.in;
    while (in.position() >= FrameDescriptor.HEADER_LENGTH) {
      int length = in.getInt(FrameDescriptor.LENGTH_OFFSET);
      if (in.position() < FrameDescriptor.HEADER_LENGTH + length) {
        return;
      }
      int type = in.get(FrameDescriptor.TYPE_OFFSET) & 0xff;
      byte[] payload = new byte[length];
      in.flip();
      in.position(FrameDescriptor.HEADER_LENGTH);
      in.get(payload);
      in.compact();
      if (type == FrameType.SERVER_HELLO) {
        g.serverHelloSeen = true;
      } else if (type == FrameType.ERROR) {
        try {
          g.error = ErrorFrame.decode(payload, 0, payload.length);
        } catch (MalformedFrameException e) {
          throw new IllegalStateException("undecodable ERROR frame", e);
        }
      }
    }
  }

  /** Returns every guest. */
  public List<Guest> guests() {
    return guests;
  }

  @Override
  public void close() {
    for (Guest g : guests) {
      try {
        g.channel.close();
      } catch (IOException e) {
        // closing a test connection
      }
    }
  }
}
