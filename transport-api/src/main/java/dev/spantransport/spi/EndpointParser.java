package dev.spantransport.spi;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;

/** Reads endpoint strings; see {@link Endpoint} for the forms. Package-private. */
final class EndpointParser {

  private static final String FORMS =
      "vsock://CID:PORT, hvsock:PATH:PORT, unix:PATH or tcp://HOST:PORT";

  private EndpointParser() {}

  static Endpoint parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("endpoint must not be empty; expected " + FORMS);
    }
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "endpoint must start with a scheme (" + FORMS + "): " + text);
    }
    String scheme = text.substring(0, colon);
    String rest = text.substring(colon + 1);
    switch (scheme) {
      case "vsock":
        return parseVsock(text, rest);
      case "hvsock":
        return parseHybrid(text, rest);
      case "unix":
        return new UnixEndpoint(path("unix socket path", text, stripSlashes(rest)));
      case "tcp":
        return parseTcp(text, rest);
      default:
        throw new IllegalArgumentException(
            "unknown endpoint scheme '" + scheme + "' (expected " + FORMS + "): " + text);
    }
  }

  private static VsockEndpoint parseVsock(String text, String rest) {
    if (!rest.startsWith("//")) {
      throw new IllegalArgumentException("vsock endpoint must be vsock://CID:PORT: " + text);
    }
    String hostPort = rest.substring(2);
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "vsock endpoint must be vsock://CID:PORT (port missing): " + text);
    }
    String cidText = hostPort.substring(0, colon);
    String portText = hostPort.substring(colon + 1);
    long cid;
    if (cidText.isEmpty()) {
      throw new IllegalArgumentException(
          "vsock endpoint must be vsock://CID:PORT (CID missing): " + text);
    } else if (cidText.equalsIgnoreCase("any")) {
      cid = VsockEndpoint.VMADDR_CID_ANY;
    } else {
      cid = unsigned(cidText);
      if (cid < 0) {
        throw new IllegalArgumentException(
            "vsock CID must be a number between 0 and "
                + VsockEndpoint.MAX_CID
                + " or 'any': "
                + cidText);
      }
      if (cid > VsockEndpoint.MAX_CID) {
        throw new IllegalArgumentException(
            "vsock CID must be between 0 and " + VsockEndpoint.MAX_CID + ": " + cidText);
      }
    }
    return new VsockEndpoint(cid, vsockPort(text, portText));
  }

  private static HybridVsockEndpoint parseHybrid(String text, String rest) {
    String pathPort = stripSlashes(rest);
    int colon = pathPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "hybrid vsock endpoint must be hvsock:PATH:PORT (port missing): " + text);
    }
    Path path = path("hybrid vsock socket path", text, pathPort.substring(0, colon));
    return new HybridVsockEndpoint(path, vsockPort(text, pathPort.substring(colon + 1)));
  }

  private static TcpEndpoint parseTcp(String text, String rest) {
    if (!rest.startsWith("//")) {
      throw new IllegalArgumentException("tcp endpoint must be tcp://HOST:PORT: " + text);
    }
    String hostPort = rest.substring(2);
    String host;
    String portText;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(
            "tcp endpoint with an IPv6 address must be tcp://[ADDRESS]:PORT: " + text);
      }
      host = hostPort.substring(1, close);
      portText = hostPort.substring(close + 2);
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "tcp endpoint must be tcp://HOST:PORT (port missing): " + text);
      }
      host = hostPort.substring(0, colon);
      portText = hostPort.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "tcp endpoint must write an IPv6 address in brackets, tcp://[ADDRESS]:PORT: " + text);
      }
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException(
          "tcp endpoint must be tcp://HOST:PORT (host missing): " + text);
    }
    if (portText.isEmpty()) {
      throw new IllegalArgumentException(
          "tcp endpoint must be tcp://HOST:PORT (port missing): " + text);
    }
    long port = unsigned(portText);
    if (port < 0) {
      throw new IllegalArgumentException(
          "tcp port must be a number between 1 and 65535: " + portText);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("tcp port must be between 1 and 65535: " + portText);
    }
    return new TcpEndpoint(host, (int) port);
  }

  private static long vsockPort(String text, String portText) {
    if (portText.isEmpty()) {
      throw new IllegalArgumentException("vsock port is missing: " + text);
    }
    long port = unsigned(portText);
    if (port < 0) {
      throw new IllegalArgumentException(
          "vsock port must be a number between 1 and " + VsockEndpoint.MAX_PORT + ": " + portText);
    }
    if (port < 1 || port > VsockEndpoint.MAX_PORT) {
      throw new IllegalArgumentException(
          "vsock port must be between 1 and " + VsockEndpoint.MAX_PORT + ": " + portText);
    }
    return port;
  }

  /** {@code //} before an absolute path is accepted and dropped: {@code unix:///run/x}. */
  private static String stripSlashes(String rest) {
    return rest.startsWith("///") ? rest.substring(2) : rest;
  }

  private static Path path(String what, String text, String pathText) {
    if (pathText.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty: " + text);
    }
    try {
      return Path.of(pathText);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(
          what + " must be a valid path (" + e.getReason() + "): " + text, e);
    }
  }

  /**
   * Parses decimal digits only (no sign, no spaces). Returns -1 if the text is not a number, and
   * {@link Long#MAX_VALUE} if it is too long to matter (the caller's range check rejects it).
   */
  private static long unsigned(String digits) {
    if (digits.isEmpty()) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < digits.length(); i++) {
      char c = digits.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      if (value > 0xFFFF_FFFFL) {
        return Long.MAX_VALUE;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
