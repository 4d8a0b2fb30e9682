package dev.spantransport.wire;

import java.security.SecureRandom;

/**
 * A 128-bit session id, chosen at random by each exporter instance and sent in its CLIENT_HELLO.
 * The host keys its duplicate detection on it. Printed as 32 lowercase hex digits.
 */
public final class SessionId {

  /** Length of a session id on the wire, in bytes. */
  public static final int LENGTH = 16;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final long high;
  private final long low;

  private SessionId(long high, long low) {
    this.high = high;
    this.low = low;
  }

  /** Returns the session id whose most significant 64 bits are {@code high}. */
  public static SessionId of(long high, long low) {
    return new SessionId(high, low);
  }

  /** Returns a new random session id. */
  public static SessionId random() {
    return new SessionId(RANDOM.nextLong(), RANDOM.nextLong());
  }

  /**
   * Parses 32 hex digits, as printed by {@link #toString()}.
   *
   * @throws IllegalArgumentException if {@code hex} is not 32 hex digits
   */
  public static SessionId parse(String hex) {
    if (hex.length() != 32) {
      throw new IllegalArgumentException("session id must be 32 hex digits: " + hex);
    }
    try {
      return new SessionId(
          Long.parseUnsignedLong(hex.substring(0, 16), 16),
          Long.parseUnsignedLong(hex.substring(16), 16));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("session id must be 32 hex digits: " + hex, e);
    }
  }

  /** Returns the most significant 64 bits. */
  public long high() {
    return high;
  }

  /** Returns the least significant 64 bits. */
  public long low() {
    return low;
  }

  /** Returns 32 lowercase hex digits. */
  @Override
  public String toString() {
    return String.format("%016x%016x", high, low);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionId && ((SessionId) o).high == high && ((SessionId) o).low == low;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(high) * 31 + Long.hashCode(low);
  }
}
