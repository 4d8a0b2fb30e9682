package dev.spantransport.tests.adversity;

import com.google.protobuf.ByteString;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.SessionId;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;

/**
 * Many guests in one JVM, each a protocol client on its own connection, streaming SPANS frames
 * continuously: every guest keeps {@code guests.window} frames of {@code guests.spansPerFrame}
 * spans un-acked for {@code guests.seconds}, then stops sending and waits for its last ACK. All
 * guests share one selector thread, so 1,000 guests cost one thread, not 1,000.
 *
 * <p>Guest {@code g} sends spans numbered {@code g * STRIDE} upwards (see the ledger's {@code
 * TestSpans} numbering: trace id {@code "spantest"} + index, span id index + 1), so the sink side
 * can tell every guest's spans apart and count them exactly.
 *
 * <p>Protocol with the test (stdin/stdout): prints {@code READY} once every guest finished its
 * handshake, starts streaming on the line {@code go}, and at the end prints one line per guest,
 * {@code GUEST <id> <spans acked> <frames acked> <p99 ack latency us>}, then one {@code DONE ...}
 * line with this JVM's totals and latency percentiles.
 */
public final class StreamingGuests {

  /** Span indices per guest: guest g owns [g * STRIDE, (g + 1) * STRIDE). */
  public static final long STRIDE = 1L << 17;

  /** High half of every test trace id ("spantest"), as the ledger expects. */
  private static final long MARK = 0x7370616e74657374L;

  private final int firstGuest;
  private final int spansPerFrame;
  private final int window;
  private final Selector selector;
  private final Guest[] guests;
  private final byte[] template;
  private final int[] traceOffsets;
  private final int[] spanOffsets;

  private StreamingGuests(String socket, int firstGuest, int count, int spansPerFrame, int window)
      throws IOException {
    this.firstGuest = firstGuest;
    this.spansPerFrame = spansPerFrame;
    this.window = window;
    this.selector = Selector.open();
    this.guests = new Guest[count];
    // One OTLP request, built once with protobuf-java; each frame copies it and writes its own
    // span indices into the id fields, whose offsets are found by their placeholder bytes.
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = 0; i < spansPerFrame; i++) {
      scope.addSpans(
          Span.newBuilder()
              .setTraceId(ByteString.copyFrom(ids(MARK, 0x7fff_0000_0000_0000L + i)))
              .setSpanId(ByteString.copyFrom(ids(0x7ffe_0000_0000_0000L + i)))
              .setName("stream")
              .setStartTimeUnixNano(1_700_000_000_000_000_000L)
              .setEndTimeUnixNano(1_700_000_000_000_001_000L));
    }
    template =
        ExportTraceServiceRequest.newBuilder()
            .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(scope))
            .build()
            .toByteArray();
    traceOffsets = new int[spansPerFrame];
    spanOffsets = new int[spansPerFrame];
    for (int i = 0; i < spansPerFrame; i++) {
      traceOffsets[i] = find(template, ids(0x7fff_0000_0000_0000L + i));
      spanOffsets[i] = find(template, ids(0x7ffe_0000_0000_0000L + i));
    }
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
    for (int i = 0; i < count; i++) {
      SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
      c.connect(address); // blocking: waits out a full accept backlog
      c.configureBlocking(false);
      Guest g = new Guest(firstGuest + i, c, window);
      ClientHello hello = ClientHello.create(SessionId.random(), "streaming-guest");
      byte[] frame = new byte[hello.frameLength()];
      FrameWriter.writeClientHello(frame, 0, hello);
      g.out = ByteBuffer.wrap(frame);
      g.key = c.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE, g);
      guests[i] = g;
    }
  }

  private static byte[] ids(long... longs) {
    ByteBuffer b = ByteBuffer.allocate(8 * longs.length);
    for (long l : longs) {
      b.putLong(l);
    }
    return b.array();
  }

  private static int find(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return needle.length == 16 ? i + 8 : i; // a trace id: the index is its low half
    }
    throw new IllegalStateException("placeholder not found in the OTLP template");
  }

  /** One guest: its connection, what it is writing, and its frames in flight. */
  private static final class Guest {
    final int id;
    final SocketChannel channel;
    final ByteBuffer in = ByteBuffer.allocate(4096);
    final long[] sentNanos;
    SelectionKey key;
    ByteBuffer out;
    boolean open;
    long nextSequence = 1;
    long acked;
    long nextIndex;
    long spansAcked;
    int[] latenciesMicros = new int[256];
    int latencyCount;

    Guest(int id, SocketChannel channel, int window) {
      this.id = id;
      this.channel = channel;
      this.sentNanos = new long[window];
      this.nextIndex = id * STRIDE;
    }

    long inFlight() {
      return nextSequence - 1 - acked;
    }

    void recordLatency(long nanos) {
      if (latencyCount == latenciesMicros.length) {
        latenciesMicros = Arrays.copyOf(latenciesMicros, latencyCount * 2);
      }
      latenciesMicros[latencyCount++] = (int) Math.min(Integer.MAX_VALUE, nanos / 1000);
    }
  }

  private void handshake(long deadlineNanos) throws IOException {
    int open = 0;
    while (open < guests.length) {
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new IOException(open + " of " + guests.length + " guests finished the handshake");
      }
      selector.select(100);
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        Guest g = (Guest) key.attachment();
        if (key.isValid() && key.isWritable()) {
          g.channel.write(g.out);
          if (!g.out.hasRemaining()) {
            g.out = null;
            key.interestOps(SelectionKey.OP_READ);
          }
        }
        if (key.isValid() && key.isReadable()) {
          readFrames(g, Long.MAX_VALUE);
          if (g.open) {
            open++;
          }
        }
      }
    }
  }

  /** Streams until {@code stopNanos}, then drains every guest's window; bounded by drainNanos. */
  private void stream(long stopNanos, long drainDeadlineNanos) throws IOException {
    for (Guest g : guests) {
      fill(g, stopNanos);
    }
    while (true) {
      long now = System.nanoTime();
      if (now - stopNanos > 0 && allDrained()) {
        return;
      }
      if (now - drainDeadlineNanos > 0) {
        long pending = 0;
        for (Guest g : guests) {
          pending += g.inFlight();
        }
        throw new IOException(pending + " frames still un-acked at the drain deadline");
      }
      selector.select(50);
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        Guest g = (Guest) key.attachment();
        if (key.isValid() && key.isReadable()) {
          readFrames(g, stopNanos);
        }
        if (key.isValid() && key.isWritable()) {
          write(g);
        }
        if (key.isValid()) {
          fill(g, stopNanos);
        }
      }
    }
  }

  private boolean allDrained() {
    for (Guest g : guests) {
      if (g.inFlight() > 0 || g.out != null) {
        return false;
      }
    }
    return true;
  }

  /** Queues the next frame while the window has room and the run has not ended. */
  private void fill(Guest g, long stopNanos) throws IOException {
    while (g.out == null
        && g.inFlight() < window
        && System.nanoTime() - stopNanos < 0
        && g.nextIndex + spansPerFrame <= (g.id + 1L) * STRIDE) {
      byte[] payload = template.clone();
      for (int i = 0; i < spansPerFrame; i++) {
        long index = g.nextIndex + i;
        ByteBuffer.wrap(payload, traceOffsets[i], 8).putLong(index);
        ByteBuffer.wrap(payload, spanOffsets[i], 8).putLong(index + 1);
      }
      g.nextIndex += spansPerFrame;
      byte[] frame = new byte[FrameDescriptor.HEADER_LENGTH + payload.length];
      long sequence = g.nextSequence++;
      FrameWriter.writeHeader(frame, 0, FrameType.SPANS, sequence, payload.length);
      System.arraycopy(payload, 0, frame, FrameDescriptor.HEADER_LENGTH, payload.length);
      g.sentNanos[(int) (sequence % window)] = System.nanoTime();
      g.out = ByteBuffer.wrap(frame);
      write(g);
    }
    int ops = SelectionKey.OP_READ | (g.out != null ? SelectionKey.OP_WRITE : 0);
    if (g.key.interestOps() != ops) {
      g.key.interestOps(ops);
    }
  }

  private static void write(Guest g) throws IOException {
    if (g.out == null) {
      return;
    }
    g.channel.write(g.out);
    if (!g.out.hasRemaining()) {
      g.out = null;
    }
  }

  private void readFrames(Guest g, long stopNanos) throws IOException {
    int n = g.channel.read(g.in);
    if (n < 0) {
      throw new IOException("receiver closed guest " + g.id + "'s connection");
    }
    while (g.in.position() >= FrameDescriptor.HEADER_LENGTH) {
      int length = g.in.getInt(FrameDescriptor.LENGTH_OFFSET);
      if (g.in.position() < FrameDescriptor.HEADER_LENGTH + length) {
        break;
      }
      int type = g.in.get(FrameDescriptor.TYPE_OFFSET) & 0xff;
      long sequence = g.in.getLong(FrameDescriptor.SEQUENCE_OFFSET);
      g.in.flip().position(FrameDescriptor.HEADER_LENGTH + length);
      g.in.compact();
      if (type == FrameType.SERVER_HELLO && !g.open) {
        g.open = true;
      } else if (type == FrameType.ACK && g.open) {
        long now = System.nanoTime();
        for (long s = g.acked + 1; s <= sequence && s < g.nextSequence; s++) {
          g.recordLatency(now - g.sentNanos[(int) (s % window)]);
          g.spansAcked += spansPerFrame;
        }
        g.acked = Math.max(g.acked, Math.min(sequence, g.nextSequence - 1));
      } else if (type == FrameType.PING) {
        throw new IOException("guest " + g.id + " got a PING it does not answer");
      } else {
        throw new IOException(
            "guest " + g.id + " got unexpected frame type " + type + " sequence " + sequence);
      }
    }
  }

  private static int percentile(int[] sorted, int count, double p) {
    if (count == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p * count) - 1;
    return sorted[Math.max(0, Math.min(count - 1, i))];
  }

  private void report() {
    long frames = 0;
    for (Guest g : guests) {
      frames += g.latencyCount;
    }
    int[] all = new int[(int) frames];
    int at = 0;
    long spans = 0;
    int worstP99 = -1;
    int worstGuest = -1;
    long minFrames = Long.MAX_VALUE;
    long maxFrames = 0;
    StringBuilder lines = new StringBuilder();
    for (Guest g : guests) {
      int[] own = Arrays.copyOf(g.latenciesMicros, g.latencyCount);
      Arrays.sort(own);
      int p99 = percentile(own, own.length, 0.99);
      if (p99 > worstP99) {
        worstP99 = p99;
        worstGuest = g.id;
      }
      minFrames = Math.min(minFrames, g.latencyCount);
      maxFrames = Math.max(maxFrames, g.latencyCount);
      System.arraycopy(own, 0, all, at, own.length);
      at += own.length;
      spans += g.spansAcked;
      lines
          .append("GUEST ")
          .append(g.id)
          .append(' ')
          .append(g.spansAcked)
          .append(' ')
          .append(g.latencyCount)
          .append(' ')
          .append(p99)
          .append('\n');
    }
    Arrays.sort(all);
    System.out.print(lines);
    System.out.printf(
        Locale.ROOT,
        "DONE first=%d guests=%d spans=%d frames=%d minFrames=%d maxFrames=%d p50us=%d p99us=%d"
            + " maxUs=%d worstGuestP99us=%d worstGuest=%d%n",
        firstGuest,
        guests.length,
        spans,
        frames,
        minFrames,
        maxFrames,
        percentile(all, all.length, 0.50),
        percentile(all, all.length, 0.99),
        all.length == 0 ? -1 : all[all.length - 1],
        worstP99,
        worstGuest);
    System.out.flush();
  }

  /**
   * Runs the guests; configured by {@code guests.socket}, {@code guests.first}, {@code
   * guests.count}, {@code guests.seconds}, {@code guests.spansPerFrame}, {@code guests.window}.
   */
  public static void main(String[] args) throws Exception {
    StreamingGuests run =
        new StreamingGuests(
            System.getProperty("guests.socket"),
            Integer.getInteger("guests.first", 0),
            Integer.getInteger("guests.count", 1024),
            Integer.getInteger("guests.spansPerFrame", 8),
            Integer.getInteger("guests.window", 4));
    run.handshake(System.nanoTime() + 120_000_000_000L);
    System.out.println("READY");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.equals("go")) {
      // wait for every guest JVM to be ready, so all of them stream at once
    }
    long seconds = Long.getLong("guests.seconds", 30);
    long stop = System.nanoTime() + seconds * 1_000_000_000L;
    run.stream(stop, stop + 120_000_000_000L);
    run.report();
    for (Guest g : run.guests) {
      g.channel.close();
    }
    // Stay until told, so the test reads every line before the process goes.
    while ((line = in.readLine()) != null && !line.equals("exit")) {
      // nothing
    }
  }
}
