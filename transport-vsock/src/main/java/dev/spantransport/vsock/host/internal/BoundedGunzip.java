package dev.spantransport.vsock.host.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Inflates a gzip body with a ceiling on the inflated size, taking each growth of the output from
 * the receiver's {@link MemoryBudget}: a small body that inflates to gigabytes (a gzip bomb) stops
 * at the ceiling, having held at most the ceiling.
 *
 * <p>This class is internal and may change without notice.
 */
final class BoundedGunzip {

  /** Outcome of one inflation: the bytes, or why there are none. */
  static final class Result {
    static final int OK = 0;
    static final int TOO_LARGE = 1;
    static final int CORRUPT = 2;
    static final int NO_MEMORY = 3;

    final int status;
    final byte[] bytes;
    final int length;
    final String problem;

    private Result(int status, byte[] bytes, int length, String problem) {
      this.status = status;
      this.bytes = bytes;
      this.length = length;
      this.problem = problem;
    }
  }

  private static final int MIN_OUTPUT = 4096;

  private BoundedGunzip() {}

  /**
   * Inflates {@code src[offset, offset + length)}. On success the returned bytes are reserved in
   * {@code budget} (their array length); the caller releases them. On any failure nothing stays
   * reserved.
   *
   * @param limit most inflated bytes allowed
   */
  static Result inflate(byte[] src, int offset, int length, int limit, MemoryBudget budget) {
    int capacity = (int) Math.min(limit, Math.max(MIN_OUTPUT, 4L * length));
    if (!budget.tryReserve(capacity)) {
      return new Result(Result.NO_MEMORY, null, 0, "receiver memory budget exhausted");
    }
    byte[] out = new byte[capacity];
    int n = 0;
    try (GZIPInputStream in =
        new GZIPInputStream(new ByteArrayInputStream(src, offset, length), 8192)) {
      while (true) {
        if (n == out.length) {
          if (out.length >= limit) {
            // Full at the ceiling: one more byte means the body is too large.
            if (in.read() < 0) {
              break;
            }
            budget.release(out.length);
            return new Result(
                Result.TOO_LARGE,
                null,
                0,
                "gzip body inflates to more than the limit of " + limit + " bytes");
          }
          int bigger = (int) Math.min(limit, 2L * out.length);
          if (!budget.tryReserve(bigger - out.length)) {
            budget.release(out.length);
            return new Result(Result.NO_MEMORY, null, 0, "receiver memory budget exhausted");
          }
          out = Arrays.copyOf(out, bigger);
        }
        int r = in.read(out, n, out.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
    } catch (IOException | RuntimeException e) {
      budget.release(out.length);
      return new Result(Result.CORRUPT, null, 0, "gzip body is corrupt: " + e.getMessage());
    }
    return new Result(Result.OK, out, n, null);
  }
}
