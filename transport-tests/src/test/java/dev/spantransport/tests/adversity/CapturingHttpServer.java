package dev.spantransport.tests.adversity;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A collector on loopback that answers every POST with 200 and keeps each request body, for sinks
 * that speak HTTP (OTLP/HTTP passthrough, Zipkin JSON).
 */
public final class CapturingHttpServer implements AutoCloseable {

  private final HttpServer server;
  private final List<byte[]> bodies = new CopyOnWriteArrayList<>();

  public CapturingHttpServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            bodies.add(in.readAllBytes());
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
  }

  /** Returns {@code http://127.0.0.1:<port>}. */
  public String baseUrl() {
    InetSocketAddress a = server.getAddress();
    return "http://" + a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** Returns the bodies received so far, in order. */
  public List<byte[]> bodies() {
    return bodies;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
