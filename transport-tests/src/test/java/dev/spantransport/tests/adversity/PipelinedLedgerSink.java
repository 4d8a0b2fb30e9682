package dev.spantransport.tests.adversity;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A receiver's sink for load tests: writes each batch, with its session id and sequence, to the
 * test JVM's durable ledger (the {@code DurableSink} record format: u32 length of the rest, u16 n +
 * n bytes session id, u64 sequence, payload; reply one byte), and succeeds once the ledger
 * acknowledged that record. Unlike a one-at-a-time forwarder it keeps many records in flight on
 * each of a few connections, so the ledger's round trip does not cap the receiver's throughput: a
 * batch is still acknowledged to its guest only after it is durable outside the receiver.
 *
 * <p>Writes straight from the batch's payload view, which stays valid until its result completes.
 */
public final class PipelinedLedgerSink implements SpanSink {

  private record Item(SpanBatch batch, CompletableResultCode result) {}

  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final Lane[] lanes;
  private final AtomicLong next = new AtomicLong();

  /**
   * Connects {@code connections} lanes to the ledger listening on {@code path}.
   *
   * @throws IOException if the ledger is not there
   */
  public PipelinedLedgerSink(Path path, int connections) throws IOException {
    lanes = new Lane[connections];
    for (int i = 0; i < connections; i++) {
      SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
      c.connect(UnixDomainSocketAddress.of(path));
      lanes[i] = new Lane(c, i);
    }
  }

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    CompletableResultCode result = new CompletableResultCode();
    lanes[(int) (next.getAndIncrement() % lanes.length)].queue.add(new Item(batch, result));
    return result;
  }

  /** Spans the ledger acknowledged. */
  public long spans() {
    return spans.get();
  }

  /** Batches the ledger acknowledged. */
  public long batches() {
    return batches.get();
  }

  @Override
  public CompletableResultCode shutdown() {
    for (Lane lane : lanes) {
      lane.close();
    }
    return CompletableResultCode.ofSuccess();
  }

  /** One connection: a writer thread sending records, a reader thread matching acks in order. */
  private final class Lane {
    final SocketChannel channel;
    final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    final ArrayDeque<Item> awaitingAck = new ArrayDeque<>(); // guarded by itself
    final Thread writer;
    final Thread reader;

    Lane(SocketChannel channel, int n) {
      this.channel = channel;
      writer = new Thread(this::write, "ledger-sink-writer-" + n);
      reader = new Thread(this::read, "ledger-sink-reader-" + n);
      writer.setDaemon(true);
      reader.setDaemon(true);
      writer.start();
      reader.start();
    }

    private void write() {
      ByteBuffer header = ByteBuffer.allocate(4 + 2 + 64 + 8);
      try {
        while (true) {
          Item item = queue.take();
          SpanBatch b = item.batch();
          byte[] session = b.sessionId().getBytes(StandardCharsets.US_ASCII);
          header.clear();
          header.putInt(2 + session.length + 8 + b.length());
          header.putShort((short) session.length).put(session).putLong(b.sequence()).flip();
          synchronized (awaitingAck) {
            awaitingAck.add(item);
          }
          ByteBuffer payload = ByteBuffer.wrap(b.buffer(), b.offset(), b.length());
          while (header.hasRemaining() || payload.hasRemaining()) {
            channel.write(new ByteBuffer[] {header, payload});
          }
        }
      } catch (InterruptedException | IOException e) {
        failAll();
      }
    }

    private void read() {
      ByteBuffer acks = ByteBuffer.allocate(4096);
      try {
        while (true) {
          acks.clear();
          int n = channel.read(acks);
          if (n < 0) {
            break;
          }
          for (int i = 0; i < n; i++) {
            Item item;
            synchronized (awaitingAck) {
              item = awaitingAck.poll();
            }
            spans.addAndGet(item.batch().spanCount());
            batches.incrementAndGet();
            item.result().succeed();
          }
        }
      } catch (IOException e) {
        // closed
      }
      failAll();
    }

    private void failAll() {
      synchronized (awaitingAck) {
        Item item;
        while ((item = awaitingAck.poll()) != null) {
          item.result().fail();
        }
      }
    }

    void close() {
      writer.interrupt();
      try {
        channel.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
