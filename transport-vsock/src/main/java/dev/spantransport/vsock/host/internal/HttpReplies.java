package dev.spantransport.vsock.host.internal;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes the ingress's HTTP/1.1 responses. Every value in them is the receiver's own (status,
 * lengths, a clipped and cleaned message), so they are written directly rather than through an
 * encoder pipeline.
 *
 * <p>Error bodies follow OTLP/HTTP: a {@code google.rpc.Status} with the problem as its message,
 * protobuf-encoded, or as JSON when the request was JSON.
 *
 * <p>This class is internal and may change without notice.
 */
final class HttpReplies {

  static final String PROTOBUF = "application/x-protobuf";
  static final String JSON = "application/json";

  /** Longest message text put in a reply, in characters. */
  static final int MAX_MESSAGE_CHARS = 300;

  /** Enough for the status line, our headers and the longest body we write. */
  static final int MAX_REPLY_BYTES = 512 + 3 * MAX_MESSAGE_CHARS + 64;

  private static final byte[] CONTINUE =
      "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private HttpReplies() {}

  /** Writes an interim {@code 100 Continue}. */
  static void writeContinue(ByteBuffer out) {
    out.put(CONTINUE);
  }

  /**
   * Writes one response.
   *
   * @param retryAfterSeconds the {@code Retry-After} value, or a negative number for none
   * @param allow the {@code Allow} value, or null for none
   * @param close whether to send {@code Connection: close}
   */
  static void write(
      ByteBuffer out,
      int status,
      String contentType,
      byte[] body,
      int retryAfterSeconds,
      String allow,
      boolean close) {
    StringBuilder head = new StringBuilder(160);
    head.append("HTTP/1.1 ")
        .append(status)
        .append(' ')
        .append(HttpResponseStatus.valueOf(status).reasonPhrase())
        .append("\r\nContent-Type: ")
        .append(contentType)
        .append("\r\nContent-Length: ")
        .append(body.length)
        .append("\r\n");
    if (retryAfterSeconds >= 0) {
      head.append("Retry-After: ").append(retryAfterSeconds).append("\r\n");
    }
    if (allow != null) {
      head.append("Allow: ").append(allow).append("\r\n");
    }
    if (close) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    out.put(head.toString().getBytes(StandardCharsets.US_ASCII));
    out.put(body);
  }

  /** Returns the {@code google.rpc.Status} body for an error reply. */
  static byte[] statusBody(int httpStatus, String message, boolean json) {
    int code = grpcCode(httpStatus);
    if (json) {
      return OtlpJson.status(code, message);
    }
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(2 + 5 + 1 + 5 + text.length);
    b.put((byte) 0x08); // field 1 (code), varint
    putVarint(b, code);
    b.put((byte) 0x12); // field 2 (message), length-delimited
    putVarint(b, text.length);
    b.put(text);
    byte[] body = new byte[b.position()];
    b.flip();
    b.get(body);
    return body;
  }

  /** Clips {@code text} and replaces control characters, for replies and log lines. */
  static String clean(String text) {
    String s = text == null ? "null" : text;
    if (s.length() > MAX_MESSAGE_CHARS) {
      s = s.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
    }
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        if (b == null) {
          b = new StringBuilder(s);
        }
        b.setCharAt(i, '?');
      }
    }
    return b == null ? s : b.toString();
  }

  private static int grpcCode(int httpStatus) {
    switch (httpStatus) {
      case 400:
      case 415:
        return 3; // INVALID_ARGUMENT
      case 404:
        return 5; // NOT_FOUND
      case 405:
      case 505:
        return 12; // UNIMPLEMENTED
      case 408:
        return 4; // DEADLINE_EXCEEDED
      case 413:
      case 414:
      case 429:
      case 431:
        return 8; // RESOURCE_EXHAUSTED
      case 503:
        return 14; // UNAVAILABLE
      default:
        return 2; // UNKNOWN
    }
  }

  private static void putVarint(ByteBuffer b, int value) {
    int v = value;
    while ((v & ~0x7f) != 0) {
      b.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    b.put((byte) v);
  }
}
