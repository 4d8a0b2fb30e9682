package dev.spantransport.vsock.guest;

import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameReader;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.ServerHello;
import dev.spantransport.wire.SessionId;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal host speaking wire protocol v1 over a Unix socket, for exporter tests: answers the
 * hello with the acked sequence it remembers for the session (shared across restarts through {@code
 * acked}), records SPANS frames, acks them (unless told not to), drops duplicates. One connection
 * at a time, blocking I/O on its own thread.
 */
final class FakeHost implements AutoCloseable {

  /** A SPANS frame as received. */
  record Spans(int connection, long sequence, byte[] payload, boolean duplicate) {}

  final Path path;
  final Map<SessionId, Long> acked;
  final BlockingQueue<Spans> received = new LinkedBlockingQueue<>();
  final BlockingQueue<ClientHello> hellos = new LinkedBlockingQueue<>();
  final BlockingQueue<Long> pongs = new LinkedBlockingQueue<>();
  final AtomicInteger connections = new AtomicInteger();
  final Set<Long> rejectSequences = ConcurrentHashMap.newKeySet();
  volatile boolean ack = true;
  volatile boolean readNothing;
  volatile int window = 64;
  private final ServerSocketChannel server;
  private final Thread thread;
  private volatile SocketChannel connection;
  private volatile boolean closed;

  FakeHost(Path path, Map<SessionId, Long> acked) throws IOException {
    this.path = path;
    this.acked = acked;
    Files.deleteIfExists(path);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    thread = new Thread(this::serve, "fake-host");
    thread.setDaemon(true);
    thread.start();
  }

  FakeHost(Path path) throws IOException {
    this(path, new ConcurrentHashMap<>());
  }

  /** Takes the next SPANS frame, failing after a bounded wait. */
  Spans take() throws InterruptedException {
    Spans s = received.poll(10, TimeUnit.SECONDS);
    if (s == null) {
      throw new AssertionError("no SPANS frame within 10 s");
    }
    return s;
  }

  /** Writes raw frame bytes to the current connection. */
  void send(byte[] frame, int length) throws IOException {
    SocketChannel c = connection;
    if (c == null) {
      throw new IOException("no connection");
    }
    synchronized (this) {
      ByteBuffer b = ByteBuffer.wrap(frame, 0, length);
      while (b.hasRemaining()) {
        c.write(b);
      }
    }
  }

  /** Writes raw frame bytes to the current connection and closes it at once. */
  void sendAndHangUp(byte[] frame, int length) throws IOException {
    synchronized (this) {
      send(frame, length);
      dropConnection();
    }
  }

  /** Closes the current connection, keeping the listener. */
  void dropConnection() throws IOException {
    SocketChannel c = connection;
    if (c != null) {
      c.close();
    }
  }

  private void serve() {
    while (!closed) {
      try (SocketChannel c = server.accept()) {
        connection = c;
        int index = connections.incrementAndGet();
        if (readNothing) {
          while (!closed && c.isOpen()) {
            Thread.sleep(10); // holds the connection without reading; polling, not asserting
          }
          continue;
        }
        handle(c, index);
      } catch (IOException | InterruptedException e) {
        // connection or listener closed
      } finally {
        connection = null;
      }
    }
  }

  private void handle(SocketChannel c, int index) throws IOException {
    FrameReader reader = new FrameReader(FrameDescriptor.MAX_FRAME_LENGTH);
    ByteBuffer buffer = ByteBuffer.allocate(1024);
    SessionId[] session = new SessionId[1];
    byte[] out = new byte[4096];
    while (c.read(buffer) >= 0) {
      buffer.flip();
      reader.read(
          buffer,
          (type, sequence, array, offset, length) -> {
            switch (type) {
              case FrameType.CLIENT_HELLO -> {
                ClientHello hello = ClientHello.decode(array, offset, length);
                session[0] = hello.sessionId();
                hellos.add(hello);
                long highest = acked.getOrDefault(hello.sessionId(), 0L);
                ServerHello reply =
                    ServerHello.create(
                        1,
                        0,
                        FrameDescriptor.DEFAULT_MAX_FRAME_LENGTH,
                        FrameDescriptor.DEFAULT_MAX_SPANS_PER_FRAME,
                        window);
                send(out, FrameWriter.writeServerHello(out, 0, highest, reply));
              }
              case FrameType.SPANS -> {
                long highest = acked.getOrDefault(session[0], 0L);
                boolean duplicate = sequence <= highest;
                // decided before the frame is visible to take(): a test that flips ack after
                // take() returns changes later frames only, never this one
                boolean ackIt = duplicate || ack;
                received.add(
                    new Spans(
                        index,
                        sequence,
                        Arrays.copyOfRange(array, offset, offset + length),
                        duplicate));
                if (rejectSequences.contains(sequence)) {
                  send(
                      out,
                      FrameWriter.writeError(
                          out, 0, sequence, ErrorCode.MALFORMED_PAYLOAD, false, "not OTLP"));
                }
                if (ackIt) {
                  acked.merge(session[0], sequence, Math::max);
                  send(out, FrameWriter.writeAck(out, 0, Math.max(sequence, highest)));
                }
              }
              case FrameType.PONG -> pongs.add(sequence);
              case FrameType.PING -> send(out, FrameWriter.writePong(out, 0, sequence));
              default -> throw new IOException("unexpected frame " + FrameType.name(type));
            }
          });
      buffer.compact();
      if (buffer.capacity() < reader.requiredCapacity()) {
        ByteBuffer bigger = ByteBuffer.allocate(reader.requiredCapacity());
        buffer.flip();
        bigger.put(buffer);
        buffer = bigger;
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    closed = true;
    server.close();
    dropConnection();
    thread.join(10_000);
    Files.deleteIfExists(path);
  }
}
