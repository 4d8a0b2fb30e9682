package dev.spantransport.codec;

import java.io.IOException;

/**
 * Thrown when bytes are not a well-formed OTLP {@code ExportTraceServiceRequest}: a truncated or
 * overlong varint, a length that runs past the bytes left, a known field with the wrong wire type,
 * an id of the wrong size, nesting deeper than the codec accepts.
 *
 * <p>It is a checked {@link IOException} on purpose: malformed input is an expected condition on a
 * host that reads from untrusted guests, and the compiler makes sure it is mapped to an {@code
 * ERROR(MALFORMED_PAYLOAD)} reply rather than escaping as a crash. The message names the field, the
 * offset from the start of the payload, and what was wrong.
 */
public final class MalformedPayloadException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int offset;

  /**
   * Creates an exception for a problem found {@code offset} bytes into the payload.
   *
   * @param message what was wrong, naming the field and the value seen
   * @param offset offset from the start of the payload, or -1 when unknown
   */
  public MalformedPayloadException(String message, int offset) {
    super(offset >= 0 ? message + " at offset " + offset : message);
    this.offset = offset;
  }

  /** Creates an exception wrapping an unexpected failure while decoding. */
  public MalformedPayloadException(String message, int offset, Throwable cause) {
    super(offset >= 0 ? message + " at offset " + offset : message, cause);
    this.offset = offset;
  }

  /** Offset from the start of the payload where the problem was found, or -1 when unknown. */
  public int offset() {
    return offset;
  }
}
