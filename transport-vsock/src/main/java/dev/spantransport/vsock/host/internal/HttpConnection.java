package dev.spantransport.vsock.host.internal;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.spi.Signal;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.opentelemetry.api.common.Attributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.logging.Level;

/**
 * A guest connection that speaks OTLP/HTTP: {@code POST /v1/traces} with a protobuf or JSON body,
 * optionally gzip-compressed, any number of requests per connection (keep-alive, pipelining).
 * {@link Connection} hands itself over to this class when the first byte is {@code 'P'}; from then
 * on it forwards its loop events here, and this class uses its channel, key, read buffer and
 * identity.
 *
 * <h2>Parsing</h2>
 *
 * Bytes go through Netty's {@link HttpRequestDecoder}, driven in an {@link EmbeddedChannel} on the
 * receive loop's thread, with limits on the request line and the headers. The decoder hands the
 * body over in pieces as it arrives; this class copies them into one array it reserved from the
 * {@link MemoryBudget} after checking {@code Content-Length} against the max frame length, so an
 * oversized request gets 413 before any of its body is read. Chunked bodies grow within the same
 * limit, and gzip bodies inflate within it ({@link BoundedGunzip}).
 *
 * <h2>One request at a time</h2>
 *
 * While a request is in the sinks, the connection is not read (backpressure): at most one socket
 * read of later, pipelined requests waits in the decoder's output queue, and they are answered in
 * order once the sinks finished with the one before. The response is written only after every sink
 * has accepted the batch: 200 with an {@code ExportTraceServiceResponse}, 400 if a sink refused it
 * for good ({@link BatchRejectedException}), 503 with {@code Retry-After} if a sink could not take
 * it now. Too many spans for {@code maxSpansPerFrame} are dropped and reported as a partial
 * success. If the memory budget cannot cover a body, the body is read and dropped and the answer is
 * 429 with {@code Retry-After}.
 *
 * <p>The guest's identity is the connection's, as for every other protocol; the sinks apply it to
 * every resource and strip payload copies of it.
 *
 * <p>This class is internal and may change without notice.
 */
final class HttpConnection {

  static final int MAX_INITIAL_LINE_LENGTH = 4096;
  static final int MAX_HEADER_SIZE = 16 * 1024;
  private static final int MAX_CHUNK_SIZE = 64 * 1024;
  private static final int CHUNKED_INITIAL_BODY = 64 * 1024;
  private static final int RETRY_AFTER_SECONDS = 1;
  private static final long CLOSE_LINGER_NANOS = 2_000_000_000L;

  /** The signal of the request being handled (its path); TRACES for refused paths. */
  private Signal signal = Signal.TRACES;

  private static final UnpooledByteBufAllocator HEAP = new UnpooledByteBufAllocator(false);

  /** Reading a request line and headers, or between requests. */
  private static final int IDLE = 0;

  /** Copying the body of an accepted request. */
  private static final int BODY = 1;

  /** Reading and dropping the body of a request that has been refused. */
  private static final int DISCARD = 2;

  /** The request is in the sinks; nothing more is read. */
  private static final int SINK = 3;

  /** The last response is queued; the connection closes once it is written. */
  private static final int CLOSING = 4;

  private static final int CLOSED = 5;

  private final Connection connection;
  private final ReceiveLoop loop;
  private final ReceiverContext context;
  private final ReceiverConfig config;
  private final Attributes identity;
  private final ByteBuffer in;
  private final ByteBuffer out = ByteBuffer.allocate(2 * HttpReplies.MAX_REPLY_BYTES);
  private final EmbeddedChannel parser;
  private final ArrayDeque<HttpObject> parsed = new ArrayDeque<>();
  private Slot slot;

  private int phase = IDLE;
  private long sequence;
  private long lastReadNanos;
  private long closeDeadline;
  private boolean receiving;
  private boolean endOfStream;
  private boolean draining;
  private boolean hungUp;
  private boolean dirty;
  private int interest = -1;

  // The request being read.
  private boolean keepAlive;
  private boolean json;
  private boolean gzip;
  private byte[] body;
  private int bodyLength;
  private long bodyReserved;
  private long discarded;
  private int discardStatus;
  private String discardMessage;
  private String discardReason;
  private String discardAllow;
  private int discardRetryAfter;

  // The request in the sinks.
  private long payloadReserved;

  /**
   * Takes over {@code connection}, whose read buffer {@code in} holds the first bytes read.
   *
   * @param in the connection's read buffer, in write mode; this class reads into it from now on
   */
  HttpConnection(Connection connection, Attributes identity, ByteBuffer in) {
    this.connection = connection;
    this.loop = connection.loop;
    this.context = loop.context;
    this.config = context.config;
    this.identity = identity;
    this.in = in;
    this.lastReadNanos = loop.now();
    context.budget.forceReserve(out.capacity());
    this.parser =
        new EmbeddedChannel(
            new HttpRequestDecoder(
                new HttpDecoderConfig()
                    .setMaxInitialLineLength(MAX_INITIAL_LINE_LENGTH)
                    .setMaxHeaderSize(MAX_HEADER_SIZE)
                    .setMaxChunkSize(MAX_CHUNK_SIZE)),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpObject) {
                  parsed.add((HttpObject) msg);
                } else {
                  ReferenceCountUtil.release(msg);
                }
              }
            });
    parser.config().setAllocator(HEAP);
  }

  // ---------------------------------------------------------------- reading

  /** Handles the bytes the connection read into {@code in} while detecting the protocol. */
  int onBytesRead() {
    try {
      feed();
      return 1;
    } finally {
      updateInterest();
    }
  }

  /** Reads what the socket has and handles every complete request. Returns 1 if it did work. */
  int onReadable() throws IOException {
    if (!wantsRead()) {
      updateInterest();
      return 0;
    }
    try {
      int n = connection.channel.read(in);
      if (n < 0) {
        onEndOfStream();
        return 1;
      }
      if (n == 0) {
        return 0;
      }
      feed();
      return 1;
    } finally {
      updateInterest();
    }
  }

  private void feed() {
    lastReadNanos = loop.now();
    receiving = true;
    in.flip();
    ByteBuf bytes = Unpooled.copiedBuffer(in);
    in.clear();
    parser.writeInbound(bytes);
    pump();
  }

  /** Handles parsed requests in order until one goes to the sinks or a reply must drain first. */
  private void pump() {
    while ((phase == IDLE || phase == BODY || phase == DISCARD) && out.position() == 0) {
      HttpObject message = parsed.poll();
      if (message == null) {
        break;
      }
      try {
        if (message instanceof HttpRequest) {
          onRequest((HttpRequest) message);
        }
        if (message instanceof HttpContent && (phase == BODY || phase == DISCARD)) {
          onContent((HttpContent) message);
        }
      } finally {
        ReferenceCountUtil.release(message);
      }
    }
    if (phase == IDLE && parsed.isEmpty() && endOfStream && out.position() == 0) {
      connection.closeNow(Level.FINE, null, "closed after its last HTTP request");
    }
  }

  private void onRequest(HttpRequest request) {
    sequence++;
    json = false;
    gzip = false;
    DecoderResult result = request.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      int status =
          cause instanceof TooLongHttpLineException
              ? 414
              : cause instanceof TooLongHttpHeaderException ? 431 : 400;
      refuse(status, "http_malformed", "malformed HTTP request: " + cause.getMessage(), true);
      return;
    }
    keepAlive = HttpUtil.isKeepAlive(request);
    String method = request.method().name();
    if ("PRI".equals(method)) {
      refuse(505, "http2", "HTTP/2 (OTLP/gRPC) is not supported; use OTLP/HTTP", true);
      return;
    }
    String uri = request.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    long declared = HttpUtil.getContentLength(request, -1L);
    boolean expectContinue = HttpUtil.is100ContinueExpected(request);
    if (declared > config.maxFrameLength()) {
      // Before any of the body is read; the connection closes, so the body is never read.
      refuse(
          413,
          "frame_too_large",
          "request body must be at most " + config.maxFrameLength() + " bytes: " + declared,
          true);
      return;
    }
    signal = signalOf(path);
    if (signal == null || !context.accepts(signal)) {
      String message =
          signal != null
              ? "this receiver takes no "
                  + signal.itemName()
                  + " (it has no sink for them): "
                  + path
              : "no such path: " + path + " (OTLP goes to POST /v1/traces, /v1/logs, /v1/metrics)";
      signal = Signal.TRACES;
      discard(404, "http_not_found", message, null, -1, expectContinue);
      return;
    }
    if (!"POST".equals(method)) {
      discard(405, "http_method", "method must be POST: " + method, "POST", -1, expectContinue);
      return;
    }
    CharSequence mime = HttpUtil.getMimeType(request);
    if (mime != null && "application/json".contentEquals(lower(mime))) {
      json = true;
    } else if (mime == null || !"application/x-protobuf".contentEquals(lower(mime))) {
      discard(
          415,
          "http_media_type",
          "Content-Type must be application/x-protobuf or application/json: " + mime,
          null,
          -1,
          expectContinue);
      return;
    }
    String encoding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
    if (encoding != null && "gzip".equalsIgnoreCase(encoding.trim())) {
      gzip = true;
    } else if (encoding != null && !"identity".equalsIgnoreCase(encoding.trim())) {
      discard(
          415,
          "http_encoding",
          "Content-Encoding must be gzip or identity: " + encoding,
          null,
          -1,
          expectContinue);
      return;
    }
    long size = declared >= 0 ? declared : Math.min(CHUNKED_INITIAL_BODY, config.maxFrameLength());
    if (!context.budget.tryReserve(size)) {
      discard(
          429,
          "memory_budget",
          "receiver memory budget exhausted; retry later",
          null,
          RETRY_AFTER_SECONDS,
          expectContinue);
      return;
    }
    bodyReserved = size;
    body = new byte[(int) size];
    bodyLength = 0;
    phase = BODY;
    if (expectContinue) {
      HttpReplies.writeContinue(out);
      writeOut();
    }
  }

  private void onContent(HttpContent content) {
    ByteBuf data = content.content();
    int n = data.readableBytes();
    if (phase == BODY && n > 0) {
      long needed = (long) bodyLength + n;
      if (needed <= body.length || growBody(needed)) {
        data.getBytes(data.readerIndex(), body, bodyLength, n);
        bodyLength += n;
      } else if (phase != DISCARD) {
        return; // refused and closing
      }
    } else if (phase == DISCARD) {
      discarded += n;
      if (discarded > config.maxFrameLength()) {
        refuse(
            413,
            "frame_too_large",
            "request body must be at most " + config.maxFrameLength() + " bytes",
            true);
        return;
      }
    }
    if (content instanceof LastHttpContent) {
      if (phase == BODY) {
        complete();
      } else if (phase == DISCARD) {
        reply(
            discardStatus,
            discardReason,
            discardMessage,
            discardRetryAfter,
            discardAllow,
            !keepAlive);
      }
    }
  }

  /** Grows a chunked body within the frame limit and the budget; refuses the request if not. */
  private boolean growBody(long needed) {
    if (needed > config.maxFrameLength()) {
      releaseBody();
      refuse(
          413,
          "frame_too_large",
          "request body must be at most " + config.maxFrameLength() + " bytes",
          true);
      return false;
    }
    int bigger = (int) Math.min(config.maxFrameLength(), Math.max(needed, 2L * body.length));
    if (!context.budget.tryReserve(bigger - body.length)) {
      releaseBody();
      startDiscard(429, "memory_budget", "receiver memory budget exhausted; retry later", null);
      discardRetryAfter = RETRY_AFTER_SECONDS;
      return false;
    }
    bodyReserved = bigger;
    body = Arrays.copyOf(body, bigger);
    return true;
  }

  /** The whole body is here: decode it, then hand it to the sinks. */
  private void complete() {
    byte[] payload = body;
    int length = bodyLength;
    long reserved = bodyReserved;
    body = null;
    bodyReserved = 0;
    if (gzip) {
      BoundedGunzip.Result inflated =
          BoundedGunzip.inflate(payload, 0, length, config.maxFrameLength(), context.budget);
      context.budget.release(reserved);
      if (inflated.status == BoundedGunzip.Result.TOO_LARGE) {
        reply(413, "frame_too_large", inflated.problem, -1, null, !keepAlive);
        return;
      }
      if (inflated.status == BoundedGunzip.Result.CORRUPT) {
        reply(400, "malformed_payload", inflated.problem, -1, null, !keepAlive);
        return;
      }
      if (inflated.status == BoundedGunzip.Result.NO_MEMORY) {
        reply(429, "memory_budget", inflated.problem, RETRY_AFTER_SECONDS, null, !keepAlive);
        return;
      }
      payload = inflated.bytes;
      length = inflated.length;
      reserved = inflated.bytes.length;
    }
    if (json) {
      byte[] protobuf;
      try {
        protobuf = OtlpJson.requestToProtobuf(signal, payload, 0, length);
      } catch (IllegalArgumentException | StackOverflowError e) {
        context.budget.release(reserved);
        reply(400, "malformed_payload", e.getMessage(), -1, null, !keepAlive);
        return;
      }
      context.budget.release(reserved);
      if (protobuf.length > config.maxFrameLength()) {
        reply(
            413,
            "frame_too_large",
            "request must be at most "
                + config.maxFrameLength()
                + " bytes as protobuf: "
                + protobuf.length,
            -1,
            null,
            !keepAlive);
        return;
      }
      if (!context.budget.tryReserve(protobuf.length)) {
        reply(
            429,
            "memory_budget",
            "receiver memory budget exhausted; retry later",
            RETRY_AFTER_SECONDS,
            null,
            !keepAlive);
        return;
      }
      payload = protobuf;
      length = protobuf.length;
      reserved = protobuf.length;
    }
    if (signal != Signal.TRACES) {
      completeSignal(payload, length, reserved);
      return;
    }
    int spans;
    try {
      // the same one-pass check as SPANS frames: validates, counts, and notes reserved identity
      // keys and span-limit excess for the rewrite below
      spans = connection.payloads.countSpans(payload, 0, length);
    } catch (MalformedPayloadException | RuntimeException e) {
      context.budget.release(reserved);
      reply(
          400,
          "malformed_payload",
          "not an OTLP ExportTraceServiceRequest: " + e.getMessage(),
          -1,
          null,
          !keepAlive);
      return;
    }
    if (spans > config.maxSpansPerFrame()) {
      context.budget.release(reserved);
      context.metrics.rejected(connection.guest, "too_many_spans");
      String message =
          "spans per request must be at most " + config.maxSpansPerFrame() + ": " + spans;
      log(Level.WARNING, "dropped a request from " + connection.label + ": " + message);
      replyExported(spans, message);
      return;
    }
    byte[] sanitized = connection.payloads.sanitize(payload, 0, length, sequence);
    if (sanitized != null) {
      // every sink gets the guest's request without forged identity and within the span limits;
      // the reservation made for the request covers it (a rewrite only removes and cuts)
      payload = sanitized;
      length = sanitized.length;
    }
    dispatch(payload, length, reserved, spans);
  }

  /** A logs or metrics request: the same check as a LOGS or METRICS frame, then the sinks. */
  private void completeSignal(byte[] payload, int length, long reserved) {
    SignalCheck check = connection.frames.signalCheck();
    int items;
    byte[] sanitized;
    try {
      items = check.count(signal, payload, 0, length);
      sanitized = check.sanitize(signal, payload, 0, length);
    } catch (MalformedPayloadException | RuntimeException e) {
      int all = check.overLimit() ? SignalCheck.countAll(signal, payload, 0, length) : -1;
      context.budget.release(reserved);
      if (all >= 0) {
        context.metrics.rejected(connection.guest, "too_many_items");
        String message =
            signal.itemName()
                + " per request must be at most "
                + config.maxSpansPerFrame()
                + ": "
                + all;
        log(Level.WARNING, "dropped a request from " + connection.label + ": " + message);
        replyExported(all, message);
        return;
      }
      reply(
          400,
          "malformed_payload",
          "not an OTLP " + signal.requestName() + ": " + e.getMessage(),
          -1,
          null,
          !keepAlive);
      return;
    }
    if (sanitized != null) {
      context.metrics.stripped(connection.guest, check.stripped());
      payload = sanitized;
      length = sanitized.length;
    }
    dispatch(payload, length, reserved, items);
  }

  // ---------------------------------------------------------------- sinks

  private void dispatch(byte[] payload, int length, long reserved, int spans) {
    if (slot == null) {
      slot = new Slot(connection, context);
    }
    payloadReserved = reserved;
    slot.sequence = sequence;
    slot.payload = payload;
    slot.length = length;
    slot.spanCount = spans;
    slot.state = Slot.PENDING;
    slot.failed = false;
    slot.startNanos = System.nanoTime();
    slot.batch =
        BatchWindow.batch(signal, connection.peer, identity, "", sequence, spans, payload, length);
    context.metrics.batchReceived(connection.guest, signal, spans);
    phase = SINK;
    slot.offerTo(context, context.connectionLog);
  }

  /** Called on the loop thread when every sink finished with the request. */
  void onSlotDone(Slot done) {
    context.metrics.sinkDuration(connection.guest, System.nanoTime() - done.startNanos);
    String refusal = done.refused ? String.valueOf(done.refusal) : null;
    for (int i = 0; i < done.results.length; i++) {
      done.results[i] = null;
    }
    done.payload = null;
    done.state = Slot.FREE;
    context.budget.release(payloadReserved);
    payloadReserved = 0;
    if (phase == CLOSED) {
      return;
    }
    if (refusal != null) {
      reply(400, "sink_rejected", "a sink refused the batch: " + refusal, -1, null, !keepAlive);
    } else if (!done.failed) {
      context.metrics.acked(connection.guest, done.spanCount);
      replyExported(0, "");
    } else {
      reply(
          503,
          "sink_unavailable",
          "a sink could not take the batch; retry later",
          RETRY_AFTER_SECONDS,
          null,
          !keepAlive);
    }
    if (hungUp) {
      readAfterHangUp();
    }
  }

  boolean hasPendingSlots() {
    return phase == SINK;
  }

  // ---------------------------------------------------------------- replies

  /**
   * 200 with an {@code ExportTraceServiceResponse}, with a partial success if spans were dropped.
   */
  private void replyExported(long rejectedSpans, String message) {
    String text = HttpReplies.clean(message);
    byte[] response = OtlpJson.response(signal, json, rejectedSpans, text);
    send(200, response, -1, null, !keepAlive);
  }

  /** An error reply to a request whose body has been read in full. */
  private void reply(
      int status, String reason, String message, int retryAfter, String allow, boolean close) {
    String text = HttpReplies.clean(message);
    context.metrics.rejected(connection.guest, reason);
    log(
        status >= 500 || status == 429 ? Level.INFO : Level.WARNING,
        "answered " + status + " to " + connection.label + ": " + text);
    send(status, HttpReplies.statusBody(status, text, json), retryAfter, allow, close);
  }

  /** Refuses at once and closes: the rest of the request is never read. */
  private void refuse(int status, String reason, String message, boolean close) {
    releaseBody();
    reply(status, reason, message, -1, null, close);
  }

  /** Reads and drops the body, then replies {@code status}; the connection stays usable. */
  private void discard(
      int status,
      String reason,
      String message,
      String allow,
      int retryAfter,
      boolean expectContinue) {
    if (expectContinue) {
      // The client waits for our word before sending the body: refuse now and close.
      reply(status, reason, message, retryAfter, allow, true);
      return;
    }
    startDiscard(status, reason, message, allow);
    discardRetryAfter = retryAfter;
  }

  private void startDiscard(int status, String reason, String message, String allow) {
    phase = DISCARD;
    discarded = 0;
    discardStatus = status;
    discardReason = reason;
    discardMessage = message;
    discardAllow = allow;
    discardRetryAfter = -1;
  }

  private void send(int status, byte[] body, int retryAfter, String allow, boolean close) {
    boolean closing = close || draining || endOfStream;
    String type = json ? HttpReplies.JSON : HttpReplies.PROTOBUF;
    HttpReplies.write(out, status, type, body, retryAfter, allow, closing);
    if (closing) {
      phase = CLOSING;
      closeDeadline = loop.now() + CLOSE_LINGER_NANOS;
    } else {
      phase = IDLE;
    }
    receiving = !parsed.isEmpty();
    markDirty();
  }

  private void releaseBody() {
    if (bodyReserved > 0) {
      context.budget.release(bodyReserved);
    }
    body = null;
    bodyReserved = 0;
  }

  // ---------------------------------------------------------------- writing

  private void markDirty() {
    if (!dirty && phase != CLOSED) {
      dirty = true;
      loop.markDirty(connection);
    }
  }

  /** Writes pending replies, then goes on with queued requests or closes. */
  void flush() {
    dirty = false;
    if (phase == CLOSED) {
      return;
    }
    writeOut();
    if (phase == CLOSED) {
      return;
    }
    if (out.position() == 0) {
      if (phase == CLOSING) {
        connection.close();
        return;
      }
      pump();
      if (phase == CLOSED) {
        return;
      }
      if (out.position() > 0) {
        markDirty();
      }
    }
    updateInterest();
  }

  private void writeOut() {
    if (out.position() == 0) {
      return;
    }
    out.flip();
    try {
      connection.channel.write(out);
    } catch (IOException e) {
      out.clear();
      if (phase == SINK) {
        endOfStream = true; // the sinks finish the request; then the connection closes
      } else {
        connection.closeNow(Level.FINE, null, "write failed: " + e.getMessage());
      }
      return;
    }
    out.compact();
  }

  // ---------------------------------------------------------------- lifecycle

  private void onEndOfStream() {
    endOfStream = true;
    if (phase == BODY || phase == DISCARD || (phase == IDLE && receiving && parsed.isEmpty())) {
      connection.closeNow(Level.INFO, "truncated", "disconnected in the middle of an HTTP request");
      return;
    }
    if (phase == IDLE) {
      pump(); // requests still queued are answered (the client may have only half-closed)
    }
  }

  /** See {@link Connection#onHangUp()}: read what is left without the selector. */
  void onHangUp() {
    if (phase == CLOSED) {
      return;
    }
    if (!connection.channel.isOpen()) {
      connection.closeNow(Level.FINE, null, "disconnected");
      return;
    }
    hungUp = true;
    readAfterHangUp();
  }

  private void readAfterHangUp() {
    try {
      while (phase != CLOSED && wantsRead()) {
        if (onReadable() == 0 && phase != CLOSED && wantsRead()) {
          onEndOfStream();
        }
      }
    } catch (IOException e) {
      connection.closeNow(Level.FINE, null, "I/O error after hang-up: " + e.getMessage());
    }
  }

  /** Sends nothing more after the request in the sinks, if any; closes an idle connection. */
  void goAway() {
    draining = true;
    if (phase == IDLE || phase == BODY || phase == DISCARD) {
      connection.closeNow(Level.FINE, null, "receiver shutting down");
    }
  }

  /** Checks the request and idle timeouts. */
  void onTimer(long now) {
    if (phase == CLOSED) {
      return;
    }
    SelectionKey key = connection.key;
    if (!hungUp && (!connection.channel.isOpen() || (key != null && !key.isValid()))) {
      onHangUp();
      return;
    }
    if (phase == CLOSING) {
      if (now - closeDeadline > 0) {
        connection.close();
      }
      return;
    }
    if (phase == SINK) {
      return;
    }
    if (receiving && now - lastReadNanos > config.handshakeTimeout().toNanos()) {
      reply(
          408,
          "request_timeout",
          "no progress on the request for " + config.handshakeTimeout(),
          -1,
          null,
          true);
      flush();
      return;
    }
    long idle = config.idleTimeout().toNanos();
    if (!receiving && idle > 0 && now - lastReadNanos > idle) {
      connection.closeNow(Level.FINE, null, "idle for " + config.idleTimeout());
    }
  }

  /** Releases what this connection holds; called by {@link Connection#close()}. */
  void release() {
    if (phase == CLOSED) {
      return;
    }
    phase = CLOSED;
    releaseBody();
    HttpObject message;
    while ((message = parsed.poll()) != null) {
      ReferenceCountUtil.release(message);
    }
    parser.finishAndReleaseAll();
    context.budget.release(out.capacity());
    // A request still in the sinks releases its payload in onSlotDone.
  }

  // ---------------------------------------------------------------- interest

  private boolean wantsRead() {
    return (phase == IDLE || phase == BODY || phase == DISCARD)
        && !endOfStream
        && !draining
        && parsed.isEmpty()
        && out.position() == 0;
  }

  void updateInterest() {
    SelectionKey key = connection.key;
    if (phase == CLOSED || key == null || !key.isValid()) {
      return;
    }
    int ops = 0;
    if (wantsRead()) {
      ops |= SelectionKey.OP_READ;
    }
    if (out.position() > 0) {
      ops |= SelectionKey.OP_WRITE;
    }
    if (ops != interest) {
      interest = ops;
      key.interestOps(ops);
    }
  }

  private void log(Level level, String message) {
    context.connectionLog.log(level, message);
  }

  private static Signal signalOf(String path) {
    for (Signal s : Signal.values()) {
      if (s.httpPath().equals(path)) {
        return s;
      }
    }
    return null;
  }

  private static String lower(CharSequence s) {
    return s.toString().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String toString() {
    return "HttpConnection{" + connection.label + ", requests=" + sequence + "}";
  }
}
