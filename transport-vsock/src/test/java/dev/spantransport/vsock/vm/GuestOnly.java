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
}
