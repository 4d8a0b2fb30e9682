package dev.spantransport.forwarder.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;

/**
 * The start-up reachability check: opens (and closes) a TCP connection to a collector URL's host
 * and port, as kata-trace-forwarder fails fast when its collector is not there. It proves only that
 * something listens, not that it speaks OTLP.
 *
 * <p>This class is internal and may change without notice.
 */
public final class CollectorProbe {

  private CollectorProbe() {}

  /**
   * Connects to the URL's host and port (default 80 for http, 443 for https).
   *
   * @param url an http or https URL
   * @param timeout the connect timeout
   * @throws IOException naming the URL and the cause, if nothing accepts the connection in time
   */
  public static void check(String url, Duration timeout) throws IOException {
    URI uri = URI.create(url);
    int port = uri.getPort();
    if (port < 0) {
      port = "https".equals(uri.getScheme()) ? 443 : 80;
    }
    InetSocketAddress address = new InetSocketAddress(uri.getHost(), port);
    if (address.isUnresolved()) {
      throw new IOException("collector host does not resolve: " + url);
    }
    try (Socket socket = new Socket()) {
      socket.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
    } catch (IOException e) {
      throw new IOException(
          "collector not reachable at " + address + " (from " + url + "): " + e.getMessage(), e);
    }
  }
}
