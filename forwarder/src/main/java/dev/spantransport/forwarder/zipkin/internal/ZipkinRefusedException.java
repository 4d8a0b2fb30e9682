package dev.spantransport.forwarder.zipkin.internal;

import java.io.IOException;

/**
 * The Zipkin collector answered a POST with a status other than 2xx.
 *
 * <p>This class is internal and may change without notice.
 */
public final class ZipkinRefusedException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int status;

  /**
   * Creates the exception.
   *
   * @param status the HTTP status the collector answered
   * @param message what happened, with the start of the answer's body
   */
  public ZipkinRefusedException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** Returns the HTTP status the collector answered. */
  public int status() {
    return status;
  }

  /**
   * Whether sending the same spans again cannot succeed: a 3xx or 4xx status other than 408
   * (request timeout) and 429 (too many requests). 5xx answers, 408 and 429 are worth a retry.
   */
  public boolean permanent() {
    return status < 500 && status != 408 && status != 429;
  }
}
