package dev.spantransport.vsock.host;

import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;

/**
 * Adds attributes to a guest's identity from what the transport knows about it, e.g. maps a vsock
 * CID or a hybrid-vsock socket path to a sandbox or VM id.
 *
 * <p>Called once per accepted connection, on the receiver's I/O thread, before the handshake: it
 * must be quick (a map lookup) and must not block. The returned attributes are added to every batch
 * of that connection. Transport attributes ({@code spantransport.peer.*}) win over same-named
 * resolver attributes; resolver attributes win over same-named attributes in the guest's payload.
 * If the resolver throws, the connection is closed (an unidentified guest is not served).
 */
@FunctionalInterface
public interface GuestIdentityResolver {

  /**
   * Returns extra identity attributes for a guest.
   *
   * @param peer the guest as the transport identified it
   * @return attributes to add; {@link Attributes#empty()} for none
   */
  Attributes resolve(PeerIdentity peer);
}
