package dev.spantransport.forwarder.internal;

/**
 * A command line the forwarder refuses, with the exit code to leave with: {@link #USAGE} for a
 * malformed command line (unknown flag, missing value, value not in the allowed set), {@link
 * #INVALID} for a value that breaks a rule (empty, non-numeric, port zero), as kata-trace-forwarder
 * does.
 *
 * <p>This class is internal and may change without notice.
 */
public final class UsageException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Exit code of a malformed command line (what clap uses). */
  public static final int USAGE = 2;

  /** Exit code of a value that breaks a rule, and of every start-up failure. */
  public static final int INVALID = 1;

  private final int exitCode;

  /**
   * Creates the exception.
   *
   * @param exitCode {@link #USAGE} or {@link #INVALID}
   * @param message the rule and the value seen
   */
  public UsageException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** Returns the exit code to leave with. */
  public int exitCode() {
    return exitCode;
  }
}
