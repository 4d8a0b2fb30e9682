package dev.spantransport.tests;

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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sink of a receiver running in its own (killable) JVM: it writes each batch with its session
 * id and sequence to a {@link DurableSink} in the test JVM and succeeds only once that sink has
 * acknowledged the record, so a batch the receiver acks is already durable outside the process.
 *
 * <p>Record: u32 length of the rest, u16 n + n bytes session id (ASCII), u64 sequence, payload.
 * Reply: one byte.
 */
final class ForwardingSink implements SpanSink {

  private record Item(SpanBatch batch, byte[] payload, CompletableResultCode result) {}

  private final Path path;
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicLong spans = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private SocketChannel channel;

  ForwardingSink(Path path) {
    this.path = path;
    this.thread = new Thread(this::run, "forwarding-sink");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    CompletableResultCode result = new CompletableResultCode();
    queue.add(new Item(batch, batch.copyPayload(), result));
    return result;
  }

  long spans() {
    return spans.get();
  }

  long batches() {
    return batches.get();
  }

  private void run() {
    ByteBuffer ack = ByteBuffer.allocate(1);
    while (true) {
      Item item;
      try {
        item = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      byte[] session = item.batch.sessionId().getBytes(StandardCharsets.US_ASCII);
      ByteBuffer record = ByteBuffer.allocate(4 + 2 + session.length + 8 + item.payload.length);
      record.putInt(record.capacity() - 4);
      record.putShort((short) session.length).put(session);
      record.putLong(item.batch.sequence());
      record.put(item.payload).flip();
      int spanCount = item.batch.spanCount();
      try {
        if (channel == null) {
          channel = SocketChannel.open(StandardProtocolFamily.UNIX);
          channel.connect(UnixDomainSocketAddress.of(path));
        }
        while (record.hasRemaining()) {
          channel.write(record);
        }
        ack.clear();
        if (channel.read(ack) != 1) {
          throw new IOException("durable sink closed the connection");
        }
        spans.addAndGet(spanCount);
        batches.incrementAndGet();
        item.result.succeed();
      } catch (IOException e) {
        System.err.println("forwarding failed: " + e);
        try {
          if (channel != null) {
            channel.close();
          }
        } catch (IOException ignored) {
          // closing a broken channel
        }
        channel = null;
        item.result.fail();
      }
    }
  }

  @Override
  public CompletableResultCode shutdown() {
    thread.interrupt();
    return CompletableResultCode.ofSuccess();
  }
}
