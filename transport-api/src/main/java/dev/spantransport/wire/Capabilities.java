package dev.spantransport.wire;

import dev.spantransport.spi.Signal;

/**
 * The capability bits of CLIENT_HELLO and SERVER_HELLO. A guest sets the bits it can use; a host
 * answers with the subset it accepts; a side uses a capability only when both hellos carried it.
 * Unknown bits are ignored, so old peers keep working: an old host answers 0 and the guest never
 * sends it LOGS or METRICS frames.
 */
public final class Capabilities {

  /** LOGS frames (OTLP {@code ExportLogsServiceRequest}) may be sent. */
  public static final long LOGS = 1;

  /** METRICS frames (OTLP {@code ExportMetricsServiceRequest}) may be sent. */
  public static final long METRICS = 1 << 1;

  private Capabilities() {}

  /**
   * Returns the bit that allows batches of {@code signal}, or 0 for spans, which need none.
   *
   * @param signal the signal
   * @return its capability bit, or 0
   */
  public static long of(Signal signal) {
    switch (signal) {
      case LOGS:
        return LOGS;
      case METRICS:
        return METRICS;
      default:
        return 0;
    }
  }

  /**
   * Returns whether {@code capabilities} allow batches of {@code signal}; spans are always allowed.
   *
   * @param capabilities the capability bits both sides agreed on
   * @param signal the signal
   * @return whether its frames may be sent
   */
  public static boolean allows(long capabilities, Signal signal) {
    long bit = of(signal);
    return (capabilities & bit) == bit;
  }

  /**
   * Returns the capability bits as names, e.g. {@code [LOGS, METRICS]}, for logs.
   *
   * @param capabilities the bits
   * @return their names; unknown bits as hex
   */
  public static String describe(long capabilities) {
    StringBuilder sb = new StringBuilder("[");
    if ((capabilities & LOGS) != 0) {
      sb.append("LOGS");
    }
    if ((capabilities & METRICS) != 0) {
      sb.append(sb.length() > 1 ? ", " : "").append("METRICS");
    }
    long unknown = capabilities & ~(LOGS | METRICS);
    if (unknown != 0) {
      sb.append(sb.length() > 1 ? ", " : "").append("0x").append(Long.toHexString(unknown));
    }
    return sb.append(']').toString();
  }
}
