package dev.spantransport.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import dev.spantransport.spi.UnixEndpoint;
import dev.spantransport.vsock.host.SpanReceiver;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Fuzzes the receiver's OTLP/HTTP ingress (Netty's request decoder as the receiver drives it, body
 * limits, gzip, JSON and the sinks' answers) through a real {@link SpanReceiver} on a Unix socket.
 * Each input is one connection: the bytes (always starting with {@code 'P'}, so that the receiver
 * takes them for HTTP) are written in chunks of a fuzzed size, then the client half-closes and
 * reads to the end. The receiver must:
 *
 * <ul>
 *   <li>close the connection by itself (no hang) and never hit an internal error;
 *   <li>answer only well-formed HTTP/1.1 responses with a status the ingress documents;
 *   <li>hand the sinks only payloads that are valid OTLP, with the span count it announced;
 *   <li>return every byte it took from the memory budget once the connection is gone.
 * </ul>
 *
 * <p>Input: the request bytes, then (consumed from the end) the chunk size, 1 to 4096, and what the
 * sink answers, 0 = accept, 1 = fail (retry later), 2 = refuse for good.
 */
class HttpIngressFuzzTest {

  static final int ACCEPT = 0;
  static final int FAIL = 1;
  static final int REFUSE = 2;

  private static final Set<Integer> STATUSES =
      Set.of(100, 200, 400, 404, 405, 408, 413, 414, 415, 429, 431, 503, 505);
  private static final int MAX_FRAME = 64 * 1024;

  private static final long CLOSE_BOUND_SECONDS = 9;
  private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "http-fuzz-watchdog");
            t.setDaemon(true);
            return t;
          });

  private static SpanReceiver receiver;
  private static Path socket;
  private static volatile int sinkAnswer;
  private static final List<String> internalErrors = new ArrayList<>();

  private static synchronized void startOnce() throws IOException {
    if (receiver != null) {
      return;
    }
    Path dir = Files.createTempDirectory("http-fuzz");
    socket = dir.resolve("r.sock");
    Logger.getLogger("dev.spantransport.vsock.host.SpanReceiver")
        .addHandler(
            new Handler() {
              @Override
              public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                  synchronized (internalErrors) {
                    internalErrors.add(record.getMessage() + ": " + record.getThrown());
                  }
                }
              }

              @Override
              public void flush() {}

              @Override
              public void close() {}
            });
    receiver =
        SpanReceiver.builder()
            .addEndpoint(new UnixEndpoint(socket))
            .addSink(new CheckingSink())
            .setMaxFrameLength(MAX_FRAME)
            .setMaxSpansPerFrame(64)
            .setHandshakeTimeout(Duration.ofSeconds(5))
            .build();
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      throw new IllegalStateException("receiver did not start");
    }
    // One ordinary request first, with a generous bound: it loads and links the whole HTTP path
    // (Netty, protobuf, JSON), which on a busy machine can take longer than an input may.
    converse(
        ("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        4096,
        120);
  }

  /** Checks what reaches it, then answers as the input says. */
  private static final class CheckingSink implements SpanSink {
    @Override
    public CompletableResultCode accept(SpanBatch batch) {
      try {
        int spans = OtlpSpanDecoder.countSpans(batch.buffer(), batch.offset(), batch.length());
        if (spans != batch.spanCount()) {
          synchronized (internalErrors) {
            internalErrors.add("batch says " + batch.spanCount() + " spans, payload has " + spans);
          }
        }
      } catch (MalformedPayloadException e) {
        synchronized (internalErrors) {
          internalErrors.add("a sink got a malformed payload: " + e.getMessage());
        }
      }
      switch (sinkAnswer) {
        case FAIL:
          return CompletableResultCode.ofFailure();
        case REFUSE:
          return CompletableResultCode.ofExceptionalFailure(new BatchRejectedException("fuzz"));
        default:
          return CompletableResultCode.ofSuccess();
      }
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @FuzzTest(maxDuration = "30s")
  void everyConnectionEndsCleanlyWithWellFormedAnswers(FuzzedDataProvider data) throws Exception {
    int chunk = data.consumeInt(1, 4096);
    int answer = data.consumeInt(0, 2);
    byte[] bytes = data.consumeRemainingAsBytes();
    check(chunk, answer, bytes);
  }

  static byte[] seed(int chunk, int answer, byte[] request) {
    return new FuzzTail().intInRange(1, 4096, chunk).intInRange(0, 2, answer).appendTo(request);
  }

  static void check(int chunk, int answer, byte[] input) throws Exception {
    startOnce();
    sinkAnswer = answer;
    byte[] request = input;
    if (request.length == 0 || request[0] != 'P') {
      request = new byte[input.length + 1];
      request[0] = 'P';
      System.arraycopy(input, 0, request, 1, input.length);
    }
    byte[] received = converse(request, chunk, CLOSE_BOUND_SECONDS);
    List<Integer> statuses = parseResponses(received);
    for (int status : statuses) {
      assertTrue(STATUSES.contains(status), "undocumented status " + status);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (receiver.connectionCount() > 0 || receiver.bufferedBytes() != 0) {
      if (System.nanoTime() > deadline) {
        fail(
            "after the connection ended: "
                + receiver.connectionCount()
                + " connections, "
                + receiver.bufferedBytes()
                + " bytes still reserved");
      }
      Thread.onSpinWait();
    }
    synchronized (internalErrors) {
      if (!internalErrors.isEmpty()) {
        String errors = String.join("\n", internalErrors);
        internalErrors.clear();
        fail(errors);
      }
    }
  }

  /**
   * Writes {@code request} in chunks, half-closes, and reads until the receiver closes; blocking,
   * with a watchdog that closes the socket (and fails the input) if the receiver never does.
   */
  private static byte[] converse(byte[] request, int chunk, long boundSeconds) throws IOException {
    java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
    try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      client.connect(UnixDomainSocketAddress.of(socket));
      java.util.concurrent.ScheduledFuture<?> watchdog =
          WATCHDOG.schedule(
              () -> {
                try {
                  client.close();
                } catch (IOException e) {
                  // closing is all the watchdog does
                }
              },
              boundSeconds,
              TimeUnit.SECONDS);
      try {
        try {
          for (int written = 0; written < request.length; written += chunk) {
            ByteBuffer part =
                ByteBuffer.wrap(request, written, Math.min(chunk, request.length - written));
            while (part.hasRemaining()) {
              client.write(part);
            }
          }
          client.shutdownOutput();
        } catch (java.nio.channels.AsynchronousCloseException e) {
          throw e;
        } catch (IOException e) {
          // the receiver closed its side early (a refusal): read what it answered
        }
        ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        while (true) {
          int r;
          try {
            r = client.read(in);
          } catch (java.nio.channels.AsynchronousCloseException e) {
            throw e;
          } catch (IOException e) {
            break; // reset by the receiver: closed
          }
          if (r < 0) {
            break;
          }
          received.write(in.array(), 0, in.position());
          in.clear();
        }
      } catch (java.nio.channels.AsynchronousCloseException e) {
        fail("the receiver did not close the connection within " + boundSeconds + " s");
      } finally {
        watchdog.cancel(false);
      }
    }
    return received.toByteArray();
  }

  private static List<Integer> parseResponses(byte[] received) {
    EmbeddedChannel decoder =
        new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));
    List<Integer> statuses = new ArrayList<>();
    try {
      decoder.writeInbound(Unpooled.wrappedBuffer(received));
      decoder.finish();
      Object message;
      while ((message = decoder.readInbound()) != null) {
        FullHttpResponse response = (FullHttpResponse) message;
        try {
          assertTrue(
              response.decoderResult().isSuccess(),
              () -> "malformed response: " + response.decoderResult());
          assertEquals(
              Integer.toString(response.content().readableBytes()),
              response.headers().get("Content-Length"),
              "Content-Length of a response");
          statuses.add(response.status().code());
        } finally {
          response.release();
        }
      }
    } finally {
      decoder.finishAndReleaseAll();
    }
    return statuses;
  }
}
