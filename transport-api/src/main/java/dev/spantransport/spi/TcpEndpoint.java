package dev.spantransport.spi;

import java.util.Objects;

/**
 * A TCP host and port, for development and tests (use loopback).
 *
 * <p>String form {@code tcp://HOST:PORT}; an IPv6 address is written in brackets, e.g. {@code
 * tcp://[::1]:4319}.
 *
 * @param host a host name or IP address literal (IPv6 without brackets), not empty
 * @param port the port, 1 to 65535
 */
public record TcpEndpoint(String host, int port) implements Endpoint {

  /**
   * Validates the host and port.
   *
   * @throws IllegalArgumentException if the host is empty or the port outside 1..65535
   */
  public TcpEndpoint {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("tcp host must not be empty");
    }
    if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0 || host.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "tcp host must be a name or an IP address without brackets or slashes: " + host);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("tcp port must be between 1 and 65535: " + port);
    }
  }

  @Override
  public String scheme() {
    return "tcp";
  }

  @Override
  public String toString() {
    return "tcp://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
