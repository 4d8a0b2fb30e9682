package dev.spantransport.wire;

import dev.spantransport.spi.Signal;

/**
 * Frame type numbers of protocol v1 (LOGS and METRICS behind their capabilities). A reader skips a
 * frame whose type it does not know, by its length, so later versions can add types.
 */
public final class FrameType {

  /** Guest to host, first frame of a connection: versions, session id, agent name. */
  public static final int CLIENT_HELLO = 1;

  /** Host to guest, answer to CLIENT_HELLO: chosen version, limits, window, acked sequence. */
  public static final int SERVER_HELLO = 2;

  /** Guest to host: one batch, an OTLP {@code ExportTraceServiceRequest}. */
  public static final int SPANS = 3;

  /** Host to guest: cumulative acknowledgement of every SPANS sequence up to its sequence. */
  public static final int ACK = 4;

  /** Either direction: an error code, a fatal flag and a UTF-8 message. */
  public static final int ERROR = 5;

  /** Either direction: heartbeat request; the sequence is an opaque nonce. */
  public static final int PING = 6;

  /** Either direction: heartbeat answer echoing the PING's nonce. */
  public static final int PONG = 7;

  /** Host to guest: graceful shutdown; the sequence is the last batch the host will still ack. */
  public static final int GOAWAY = 8;

  /**
   * Guest to host: one batch, an OTLP {@code ExportLogsServiceRequest}; only once both hellos
   * carried {@link Capabilities#LOGS}. Same sequence space, acks and dedupe as SPANS.
   */
  public static final int LOGS = 9;

  /**
   * Guest to host: one batch, an OTLP {@code ExportMetricsServiceRequest}; only once both hellos
   * carried {@link Capabilities#METRICS}. Same sequence space, acks and dedupe as SPANS.
   */
  public static final int METRICS = 10;

  private static final String[] NAMES = {
    null,
    "CLIENT_HELLO",
    "SERVER_HELLO",
    "SPANS",
    "ACK",
    "ERROR",
    "PING",
    "PONG",
    "GOAWAY",
    "LOGS",
    "METRICS"
  };

  private FrameType() {}

  /** Returns whether {@code type} is a frame type of protocol v1. */
  public static boolean isKnown(int type) {
    return type >= CLIENT_HELLO && type <= METRICS;
  }

  /** Returns whether {@code type} carries a batch of a session: SPANS, LOGS or METRICS. */
  public static boolean isBatch(int type) {
    return type == SPANS || type == LOGS || type == METRICS;
  }

  /**
   * Returns the signal a batch frame type carries.
   *
   * @throws IllegalArgumentException if {@code type} is not SPANS, LOGS or METRICS
   */
  public static Signal signal(int type) {
    switch (type) {
      case SPANS:
        return Signal.TRACES;
      case LOGS:
        return Signal.LOGS;
      case METRICS:
        return Signal.METRICS;
      default:
        throw new IllegalArgumentException("frame type must carry a batch: " + name(type));
    }
  }

  /** Returns the batch frame type of {@code signal}: SPANS, LOGS or METRICS. */
  public static int of(Signal signal) {
    switch (signal) {
      case LOGS:
        return LOGS;
      case METRICS:
        return METRICS;
      default:
        return SPANS;
    }
  }

  /** Returns the name of {@code type}, or {@code UNKNOWN(type)} for a type v1 does not define. */
  public static String name(int type) {
    return isKnown(type) ? NAMES[type] : "UNKNOWN(" + type + ")";
  }
}
