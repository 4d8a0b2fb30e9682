package dev.spantransport.wire;

/**
 * Error codes carried in an ERROR frame. Whether the sender closes the connection is stated by the
 * frame's own fatal flag; {@link #isFatalByDefault(int)} gives the flag protocol v1 prescribes.
 */
public final class ErrorCode {

  /** No version in common between the hello frames. Fatal. */
  public static final int UNSUPPORTED_VERSION = 1;

  /** A frame's length exceeds the receiver's limit. Fatal. */
  public static final int FRAME_TOO_LARGE = 2;

  /** A frame header or a control frame's payload cannot be parsed. Fatal. */
  public static final int MALFORMED_FRAME = 3;

  /**
   * A SPANS payload is not a valid OTLP request. Not fatal: the batch is rejected for good and the
   * host's next ACK covers it.
   */
  public static final int MALFORMED_PAYLOAD = 4;

  /**
   * A SPANS frame holds more spans than the host allows. Not fatal: the batch is rejected for good
   * and the host's next ACK covers it.
   */
  public static final int TOO_MANY_SPANS = 5;

  /** A frame arrived that is not allowed in the current state (e.g. SPANS before hello). Fatal. */
  public static final int PROTOCOL_VIOLATION = 6;

  /**
   * The sink could not take the batch. Not fatal: the batch is not acked and the guest resends it
   * later on a new connection.
   */
  public static final int SINK_UNAVAILABLE = 7;

  /** The host is shutting down. Fatal. */
  public static final int SHUTTING_DOWN = 8;

  /** An unexpected failure inside the sender of the error. Fatal. */
  public static final int INTERNAL = 9;

  /**
   * A sink refused the batch for good (the collector will never accept it, e.g. HTTP 400 or 413).
   * Not fatal: the batch is dropped, the host's next ACK covers it, and the guest counts its spans
   * as dropped instead of resending them. A guest that does not know this code treats it as fatal,
   * reconnects, and finds the batch covered by the SERVER_HELLO's acked sequence.
   */
  public static final int BATCH_REJECTED = 10;

  private static final String[] NAMES = {
    null,
    "UNSUPPORTED_VERSION",
    "FRAME_TOO_LARGE",
    "MALFORMED_FRAME",
    "MALFORMED_PAYLOAD",
    "TOO_MANY_SPANS",
    "PROTOCOL_VIOLATION",
    "SINK_UNAVAILABLE",
    "SHUTTING_DOWN",
    "INTERNAL",
    "BATCH_REJECTED"
  };

  private ErrorCode() {}

  /** Returns whether {@code code} is an error code of protocol v1. */
  public static boolean isKnown(int code) {
    return code >= UNSUPPORTED_VERSION && code <= BATCH_REJECTED;
  }

  /** Returns the name of {@code code}, or {@code UNKNOWN(code)} for a code v1 does not define. */
  public static String name(int code) {
    return isKnown(code) ? NAMES[code] : "UNKNOWN(" + code + ")";
  }

  /**
   * Returns the fatal flag protocol v1 prescribes for {@code code}: false for {@link
   * #MALFORMED_PAYLOAD}, {@link #TOO_MANY_SPANS}, {@link #SINK_UNAVAILABLE} and {@link
   * #BATCH_REJECTED}, true otherwise (including unknown codes).
   */
  public static boolean isFatalByDefault(int code) {
    return code != MALFORMED_PAYLOAD
        && code != TOO_MANY_SPANS
        && code != SINK_UNAVAILABLE
        && code != BATCH_REJECTED;
  }
}
