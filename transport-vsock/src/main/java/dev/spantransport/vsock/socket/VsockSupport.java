package dev.spantransport.vsock.socket;

import dev.spantransport.vsock.socket.internal.VsockFamily;
import java.util.Optional;

/**
 * Whether AF_VSOCK sockets can be used in this JVM: junixsocket's native library loads for this OS
 * and architecture, and the kernel supports AF_VSOCK.
 *
 * <p>Checking needs no connection; the first check loads the native library and registers
 * span-transport's AF_VSOCK socket classes with junixsocket.
 */
public final class VsockSupport {

  private VsockSupport() {}

  /**
   * Returns whether AF_VSOCK can be used.
   *
   * @return true if the vsock transport can listen and connect here
   */
  public static boolean isAvailable() {
    return VsockFamily.unavailableReason() == null;
  }

  /**
   * Returns why AF_VSOCK cannot be used, naming the platform ({@code os.name}, {@code os.arch}).
   *
   * @return the reason, or empty if AF_VSOCK is available
   */
  public static Optional<String> unavailableReason() {
    return Optional.ofNullable(VsockFamily.unavailableReason());
  }

  /**
   * Throws if AF_VSOCK cannot be used.
   *
   * @throws UnsupportedOperationException naming the platform and the reason
   */
  public static void ensureAvailable() {
    VsockFamily.family();
  }
}
