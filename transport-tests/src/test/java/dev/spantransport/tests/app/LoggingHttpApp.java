package dev.spantransport.tests.app;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * A small, unmodified application for the signals test: it knows nothing of OpenTelemetry or
 * span-transport. Like {@link HttpApp} it serves {@code /order} on a loopback JDK server and calls
 * it {@code args[0]} times, and its handler logs one {@code java.util.logging} line per request;
 * the agent turns the calls into spans and metrics and the lines into log records.
 */
public final class LoggingHttpApp {

  private static final Logger LOG = Logger.getLogger("shop.orders");

  private LoggingHttpApp() {}

  /**
   * Runs the calls and exits 0 if every response was 200.
   *
   * @param args the number of calls
   * @throws Exception if the server or a call fails
   */
  public static void main(String[] args) throws Exception {
    int calls = Integer.parseInt(args[0]);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/order",
        exchange -> {
          LOG.warning("order placed: " + exchange.getRequestURI().getQuery());
          byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      for (int i = 0; i < calls; i++) {
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/order?n=" + i);
        HttpResponse<String> response =
            client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          throw new IOException("GET " + uri + " answered " + response.statusCode());
        }
      }
      Thread.sleep(1500); // at least one periodic metric export while the app runs
      System.out.println("LoggingHttpApp: " + calls + " calls done");
    } finally {
      server.stop(0);
    }
  }
}
