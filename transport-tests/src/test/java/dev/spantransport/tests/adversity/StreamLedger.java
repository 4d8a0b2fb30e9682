package dev.spantransport.tests.adversity;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
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
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The durable end of a load test's sink, in the test JVM: receives the records of {@link
 * PipelinedLedgerSink} (u32 length, u16 n + n bytes session id, u64 sequence, OTLP payload), counts
 * every span per guest, then acknowledges the record with one byte. Built to keep up with a
 * receiver serving thousands of guests: one thread per connection, spans found by walking the
 * protobuf fields without building messages, one bit set and lock per guest.
 *
 * <p>Spans are numbered as {@link StreamingGuests} numbers them: trace id {@code "spantest"} +
 * index, span id index + 1, guest {@code g} owning indices {@code [g * STRIDE, (g + 1) * STRIDE)}.
 * A batch whose (session, sequence) was recorded before is a redelivery and is not counted again; a
 * span index seen in two different batches is a duplicate.
 */
public final class StreamLedger implements AutoCloseable {

  private static final long MARK = 0x7370616e74657374L;

  private final Path path;
  private final ServerSocketChannel server;
  private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
  private final BitSet[] seen;
  private final Set<String> batches = ConcurrentHashMap.newKeySet();
  private final AtomicLong unique = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong redeliveries = new AtomicLong();
  private final AtomicLong foreign = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();

  /** Listens on {@code path} for the spans of {@code guests} guests. */
  public StreamLedger(Path path, int guests) throws IOException {
    this.path = path;
    this.seen = new BitSet[guests];
    for (int i = 0; i < guests; i++) {
      seen[i] = new BitSet();
    }
    Files.deleteIfExists(path);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Thread acceptor = new Thread(this::accept, "stream-ledger-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The socket the receiver's sink connects to. */
  public Path path() {
    return path;
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        connections.add(c);
        Thread t = new Thread(() -> serve(c), "stream-ledger-conn");
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
    ByteBuffer record = ByteBuffer.allocate(1 << 16);
    try (c) {
      while (true) {
        length.clear();
        if (!readFully(c, length, true)) {
          return;
        }
        int n = length.getInt(0);
        if (record.capacity() < n) {
          record = ByteBuffer.allocate(n);
        }
        record.clear().limit(n);
        readFully(c, record, false);
        record.flip();
        byte[] session = new byte[record.getShort() & 0xffff];
        record.get(session);
        long sequence = record.getLong();
        record(
            new String(session, StandardCharsets.US_ASCII) + ":" + sequence,
            record.array(),
            record.position(),
            record.remaining());
        ack.clear();
        ack.put((byte) 1).flip();
        while (ack.hasRemaining()) {
          c.write(ack);
        }
      }
    } catch (IOException e) {
      // the receiver went away
    } finally {
      connections.remove(c);
    }
  }

  private void record(String batch, byte[] buffer, int offset, int length) {
    if (!batches.add(batch)) {
      redeliveries.incrementAndGet();
      return;
    }
    try {
      CodedInputStream request = CodedInputStream.newInstance(buffer, offset, length);
      forEachField(request, 1, resourceSpans -> forEachField(resourceSpans, 2, this::scopeSpans));
    } catch (IOException | RuntimeException e) {
      malformed.incrementAndGet();
    }
  }

  private void scopeSpans(CodedInputStream scopeSpans) throws IOException {
    forEachField(scopeSpans, 2, this::span);
  }

  private void span(CodedInputStream span) throws IOException {
    long traceHigh = 0;
    long traceLow = 0;
    long spanId = 0;
    boolean traceOk = false;
    boolean spanOk = false;
    while (true) {
      int tag = span.readTag();
      if (tag == 0) {
        break;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      if ((field == 1 || field == 2) && WireFormat.getTagWireType(tag) == 2) {
        ByteBuffer b = span.readByteBuffer();
        if (field == 1 && b.remaining() == 16) {
          traceHigh = b.getLong();
          traceLow = b.getLong();
          traceOk = true;
        } else if (field == 2 && b.remaining() == 8) {
          spanId = b.getLong();
          spanOk = true;
        }
      } else {
        span.skipField(tag);
      }
    }
    long index = traceLow;
    int guest = (int) (index / StreamingGuests.STRIDE);
    if (!traceOk
        || !spanOk
        || traceHigh != MARK
        || spanId != index + 1
        || index < 0
        || guest >= seen.length) {
      foreign.incrementAndGet();
      return;
    }
    int bit = (int) (index % StreamingGuests.STRIDE);
    BitSet set = seen[guest];
    boolean fresh;
    synchronized (set) {
      fresh = !set.get(bit);
      set.set(bit);
    }
    if (fresh) {
      unique.incrementAndGet();
    } else {
      duplicates.incrementAndGet();
    }
  }

  private interface Nested {
    void read(CodedInputStream in) throws IOException;
  }

  /** Calls {@code nested} on every length-delimited field {@code number} of the message. */
  private static void forEachField(CodedInputStream in, int number, Nested nested)
      throws IOException {
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      if (WireFormat.getTagFieldNumber(tag) == number && WireFormat.getTagWireType(tag) == 2) {
        int limit = in.pushLimit(in.readRawVarint32());
        nested.read(in);
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
  }

  private static boolean readFully(SocketChannel c, ByteBuffer b, boolean eofOk)
      throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        if (eofOk && b.position() == 0) {
          return false;
        }
        throw new EOFException("record cut short at " + b.position());
      }
    }
    return true;
  }

  /** Waits until at least {@code n} distinct spans arrived; false at the timeout. */
  public boolean awaitUnique(long n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (unique.get() < n) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(10); // polling a counter, not an assertion
    }
    return true;
  }

  /** Distinct spans of guest {@code guest}. */
  public long countOf(int guest) {
    BitSet set = seen[guest];
    synchronized (set) {
      return set.cardinality();
    }
  }

  /** The first of guest {@code guest}'s first {@code n} span numbers that never arrived, or -1. */
  public long firstMissing(int guest, long n) {
    BitSet set = seen[guest];
    synchronized (set) {
      int clear = set.nextClearBit(0);
      return clear < n ? clear : -1;
    }
  }

  public long unique() {
    return unique.get();
  }

  public long duplicates() {
    return duplicates.get();
  }

  public long redeliveries() {
    return redeliveries.get();
  }

  public long foreign() {
    return foreign.get();
  }

  public long malformed() {
    return malformed.get();
  }

  @Override
  public String toString() {
    return "StreamLedger{unique="
        + unique
        + ", duplicates="
        + duplicates
        + ", redeliveries="
        + redeliveries
        + ", foreign="
        + foreign
        + ", malformed="
        + malformed
        + ", batches="
        + batches.size()
        + "}";
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
