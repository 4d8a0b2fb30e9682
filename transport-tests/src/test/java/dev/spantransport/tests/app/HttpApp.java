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

/**
 * A small, unmodified application for the OpenTelemetry Java agent test: it knows nothing of
 * tracing or span-transport. It serves {@code /hello} on a loopback JDK {@link HttpServer} and
 * calls it {@code args[0]} times with the JDK {@link HttpClient}; the agent instruments both.
 */
public final class HttpApp {

  private HttpApp() {}

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
        "/hello",
        exchange -> {
          byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hello");
      for (int i = 0; i < calls; i++) {
        HttpResponse<String> response =
            client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          throw new IOException("GET " + uri + " answered " + response.statusCode());
        }
      }
      System.out.println("HttpApp: " + calls + " calls done");
    } finally {
      server.stop(0);
    }
  }
}
