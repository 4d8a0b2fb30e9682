package dev.spantransport.benchmarks;

import dev.spantransport.codec.OtlpSpanDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.IntConsumer;

/**
 * A Netty HTTP/1.1 server on loopback for OTLP/HTTP protobuf: {@code TCP_NODELAY} on every accepted
 * connection, reads each whole body, validates and counts its spans with the same walk
 * span-transport's receiver uses ({@link OtlpSpanDecoder#countSpans}), and answers 200 with an
 * empty {@code ExportTraceServiceResponse} on a kept-alive connection. A malformed body gets 400.
 */
final class OtlpHttpServer implements AutoCloseable {
  private static final int MAX_BODY = 64 * 1024 * 1024;

  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers;
  private final Channel channel;

  /** Starts the server with {@code threads} I/O threads; {@code onSpans} gets each body's count. */
  OtlpHttpServer(int threads, IntConsumer onSpans) throws IOException {
    workers = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    try {
      channel =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(new HttpServerCodec())
                          .addLast(new HttpObjectAggregator(MAX_BODY))
                          .addLast(new Handler(onSpans));
                    }
                  })
              .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .sync()
              .channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding", e);
    }
  }

  /** The endpoint for {@code OtlpHttpSpanExporterBuilder.setEndpoint}. */
  String endpoint() {
    return "http://127.0.0.1:"
        + ((InetSocketAddress) channel.localAddress()).getPort()
        + "/v1/traces";
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One per connection: the body is copied into a reused array, as a server reading it would. */
  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final IntConsumer onSpans;
    private byte[] body = new byte[64 * 1024];

    Handler(IntConsumer onSpans) {
      this.onSpans = onSpans;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      ByteBuf content = request.content();
      int length = content.readableBytes();
      if (body.length < length) {
        body = new byte[Math.max(length, body.length * 2)];
      }
      content.getBytes(content.readerIndex(), body, 0, length);
      HttpResponseStatus status;
      try {
        onSpans.accept(OtlpSpanDecoder.countSpans(body, 0, length));
        status = HttpResponseStatus.OK;
      } catch (RuntimeException | IOException e) {
        status = HttpResponseStatus.BAD_REQUEST;
      }
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, ctx.alloc().buffer(0));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-protobuf");
      HttpUtil.setContentLength(response, 0);
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response);
      } else {
        ctx.writeAndFlush(response).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      }
    }
  }
}
