package dev.spantransport.forwarder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AdminServerTest {

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> request(AdminServer admin, String method, String path)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readyAndHealthyOnlyWhileTheReceiverListens() throws Exception {
    AdminServer admin =
        AdminServer.start(
            InetSocketAddress.createUnresolved("127.0.0.1", 0), Duration.ofSeconds(60));
    try {
      HttpResponse<String> starting = request(admin, "GET", "/readyz");
      assertEquals(503, starting.statusCode());
      assertEquals("not listening (starting or stopping)\n", starting.body());
      assertEquals(503, request(admin, "GET", "/healthz").statusCode());

      admin.setListening(true);
      assertEquals(200, request(admin, "GET", "/readyz").statusCode());
      assertEquals(200, request(admin, "GET", "/healthz").statusCode());
      assertEquals(200, request(admin, "HEAD", "/healthz").statusCode());
      assertEquals(405, request(admin, "POST", "/healthz").statusCode());

      admin.setListening(false); // draining at shutdown
      assertEquals(503, request(admin, "GET", "/readyz").statusCode());
    } finally {
      admin.close();
    }
    assertThrows(IOException.class, () -> request(admin, "GET", "/readyz"));
  }

  @Test
  void anAddressInUseIsAClearStartUpError() throws Exception {
    AdminServer first =
        AdminServer.start(
            InetSocketAddress.createUnresolved("127.0.0.1", 0), Duration.ofSeconds(1));
    try {
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  AdminServer.start(
                      InetSocketAddress.createUnresolved("127.0.0.1", first.address().getPort()),
                      Duration.ofSeconds(1)));
      assertEquals(
          true, e.getMessage().startsWith("cannot listen on --admin-listen "), e.getMessage());
    } finally {
      first.close();
    }
  }
}
