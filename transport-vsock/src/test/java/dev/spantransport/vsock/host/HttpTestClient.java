package dev.spantransport.vsock.host;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A raw HTTP/1.1 client over a loopback TCP socket: writes exactly the bytes a test builds and
 * parses the responses with Netty's response decoder.
 */
final class HttpTestClient implements AutoCloseable {

  /** One parsed response. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final EmbeddedChannel decoder =
      new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));

  private HttpTestClient(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  static HttpTestClient connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    return new HttpTestClient(s);
  }

  /** Builds a request with {@code Host} and {@code Content-Length} added. */
  static byte[] request(String method, String path, Map<String, String> headers, byte[] body) {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.putIfAbsent("Content-Length", Integer.toString(body.length));
    all.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] all2 = new byte[h.length + body.length];
    System.arraycopy(h, 0, all2, 0, h.length);
    System.arraycopy(body, 0, all2, h.length, body.length);
    return all2;
  }

  static byte[] protobufPost(byte[] body) {
    return protobufPost("/v1/traces", body);
  }

  static byte[] protobufPost(String path, byte[] body) {
    return request("POST", path, Map.of("Content-Type", "application/x-protobuf"), body);
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(b)) {
      z.write(data);
    }
    return b.toByteArray();
  }

  HttpTestClient send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Half-closes: the server sees the end of the stream, and may still answer. */
  HttpTestClient shutdownOutput() throws IOException {
    socket.shutdownOutput();
    return this;
  }

  /** Writes every byte on its own. */
  HttpTestClient sendByteByByte(byte[] bytes) throws IOException {
    for (byte b : bytes) {
      out.write(b);
      out.flush();
    }
    return this;
  }

  /** Reads the next response; fails if none arrives within 10 s or the server closes first. */
  Response read() throws IOException {
    byte[] buffer = new byte[8192];
    while (true) {
      Object message = decoder.readInbound();
      if (message instanceof FullHttpResponse) {
        FullHttpResponse r = (FullHttpResponse) message;
        try {
          Map<String, String> headers = new LinkedHashMap<>();
          r.headers()
              .forEach(
                  e -> headers.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
          byte[] body = new byte[r.content().readableBytes()];
          r.content().getBytes(r.content().readerIndex(), body);
          return new Response(r.status().code(), headers, body);
        } finally {
          r.release();
        }
      }
      int n = in.read(buffer);
      if (n < 0) {
        throw new IOException("server closed the connection before a complete response");
      }
      decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, n));
    }
  }

  /** Returns true once the server closed the connection (end of stream within 10 s). */
  boolean awaitClosed() throws IOException {
    try {
      byte[] buffer = new byte[8192];
      while (true) {
        if (in.read(buffer) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  @Override
  public void close() throws IOException {
    decoder.finishAndReleaseAll();
    socket.close();
  }
}
