package dev.spantransport.vsock.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The guard of every program that connects AF_VSOCK: it runs only inside the guest VM that {@link
 * GuestVm} boots, whose kernel command line carries {@value #MARKER}. On the build machine
 * connecting AF_VSOCK to any CID is forbidden (it reaches infrastructure that is not ours).
 */
public final class GuestOnly {

  /** The kernel command-line token only {@link GuestVm} sets. */
  public static final String MARKER = "spantransport.vm_harness=1";

  private GuestOnly() {}

  /**
   * Throws unless this process runs inside the harness's guest VM.
   *
   * @throws IllegalStateException outside the guest VM
   * @throws IOException if {@code /proc/cmdline} cannot be read
   */
  public static void require() throws IOException {
    Path cmdline = Path.of("/proc/cmdline");
    String text = Files.exists(cmdline) ? Files.readString(cmdline, StandardCharsets.UTF_8) : "";
    require(text);
  }

  /**
   * Throws unless the kernel command line carries {@link #MARKER} as a whole token.
   *
   * @param kernelCommandLine the contents of {@code /proc/cmdline}
   * @throws IllegalStateException if the marker is missing
   */
  static void require(String kernelCommandLine) {
    boolean marked = Arrays.asList(kernelCommandLine.trim().split("\\s+")).contains(MARKER);
    if (!marked) {
      throw new IllegalStateException(
          "refusing to connect AF_VSOCK: this program runs only inside RealVsockIT's guest VM ("
              + MARKER
              + " is missing from /proc/cmdline)");
    }
  }

  /** The body of a guest program's {@code main}. */
  @FunctionalInterface
  public interface Program {
    /** Runs the program. */
    void run() throws Exception;
  }

  /**
   * Runs {@code program} inside the guest VM (after {@link #require()}). If it fails, prints {@code
   * <result> status=error message=...} and the stack trace to stdout, where the host test reads
   * them from the serial console, and exits with status 1.
   *
   * @param result the prefix of the result line the host test looks for
   * @param program the program
   * @throws IllegalStateException outside the guest VM
   * @throws IOException if {@code /proc/cmdline} cannot be read
   */
  public static void run(String result, Program program) throws IOException {
    require();
    try {
      program.run();
    } catch (Throwable t) {
      System.out.println(result + " status=error message=" + String.valueOf(t).replace(' ', '_'));
      t.printStackTrace(System.out);
      System.out.flush();
      System.exit(1);
    }
  }
}
