package dev.spantransport.spi;

/**
 * An AF_VSOCK address: a context id (CID) and a port, both unsigned 32-bit numbers.
 *
 * <p>String form {@code vsock://CID:PORT}; the CID {@link #VMADDR_CID_ANY} is written {@code any}
 * and is meant for listening ("accept from any CID").
 *
 * @param cid the context id, 0 to 4294967295 ({@link #VMADDR_CID_ANY})
 * @param port the port, 1 to 4294967294
 */
public record VsockEndpoint(long cid, long port) implements Endpoint {

  /** The hypervisor's CID (0). */
  public static final long VMADDR_CID_HYPERVISOR = 0L;

  /** The guest-local CID (1): a connection that stays inside the same kernel (vsock_loopback). */
  public static final long VMADDR_CID_LOCAL = 1L;

  /** The host's CID as seen from a guest (2). */
  public static final long VMADDR_CID_HOST = 2L;

  /** "Any CID" (4294967295, -1 as a C {@code int}): listen on every CID of this machine. */
  public static final long VMADDR_CID_ANY = 0xFFFF_FFFFL;

  /** The largest valid CID: {@link #VMADDR_CID_ANY}. */
  public static final long MAX_CID = 0xFFFF_FFFFL;

  /** The largest valid port; 4294967295 is the kernel's "any port" and is not accepted. */
  public static final long MAX_PORT = 0xFFFF_FFFEL;

  /**
   * Validates the CID and port.
   *
   * @throws IllegalArgumentException if the CID is outside 0..4294967295 or the port outside
   *     1..4294967294
   */
  public VsockEndpoint {
    if (cid < 0 || cid > MAX_CID) {
      throw new IllegalArgumentException("vsock CID must be between 0 and " + MAX_CID + ": " + cid);
    }
    checkPort(port);
  }

  /**
   * Returns the listen endpoint {@code vsock://any:PORT}.
   *
   * @param port the port, 1 to 4294967294
   * @return the endpoint with CID {@link #VMADDR_CID_ANY}
   */
  public static VsockEndpoint anyCid(long port) {
    return new VsockEndpoint(VMADDR_CID_ANY, port);
  }

  /**
   * Returns whether the CID is {@link #VMADDR_CID_ANY}, which is only meaningful for listening.
   *
   * @return true for {@code vsock://any:PORT}
   */
  public boolean isAnyCid() {
    return cid == VMADDR_CID_ANY;
  }

  static void checkPort(long port) {
    if (port < 1 || port > MAX_PORT) {
      throw new IllegalArgumentException(
          "vsock port must be between 1 and " + MAX_PORT + ": " + port);
    }
  }

  @Override
  public String scheme() {
    return "vsock";
  }

  @Override
  public String toString() {
    return "vsock://" + (isAnyCid() ? "any" : Long.toString(cid)) + ":" + port;
  }
}
