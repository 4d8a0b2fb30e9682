package dev.spantransport.spi;

import io.opentelemetry.api.common.Attributes;
import java.util.Objects;

/**
 * Who is on the other end of an accepted connection, as the operating system reports it: for vsock
 * the peer's CID and port, for Unix sockets the listening path and the peer's credentials.
 *
 * <p>It is always read from the socket, never from bytes the peer sent, so a guest cannot claim
 * another guest's identity. Instances are immutable. The keys are listed in {@link PeerAttributes};
 * the attributes always include {@link PeerAttributes#TRANSPORT}.
 */
public final class PeerIdentity {

  private final String transport;
  private final Attributes attributes;

  private PeerIdentity(String transport, Attributes attributes) {
    this.transport = transport;
    this.attributes = attributes;
  }

  /**
   * Returns an identity for the given transport; {@link PeerAttributes#TRANSPORT} is set to the
   * transport name.
   *
   * @param transport the transport name, e.g. {@code vsock}
   * @param attributes what the OS reports about the peer (keys from {@link PeerAttributes})
   * @return the identity
   */
  public static PeerIdentity create(String transport, Attributes attributes) {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(attributes, "attributes");
    return new PeerIdentity(
        transport, attributes.toBuilder().put(PeerAttributes.TRANSPORT, transport).build());
  }

  /**
   * Returns the transport name, e.g. {@code vsock}.
   *
   * @return the transport name
   */
  public String transport() {
    return transport;
  }

  /**
   * Returns the peer's attributes, including {@link PeerAttributes#TRANSPORT}.
   *
   * @return the attributes
   */
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerIdentity
        && ((PeerIdentity) o).transport.equals(transport)
        && ((PeerIdentity) o).attributes.equals(attributes);
  }

  @Override
  public int hashCode() {
    return 31 * transport.hashCode() + attributes.hashCode();
  }

  @Override
  public String toString() {
    return "PeerIdentity{transport=" + transport + ", attributes=" + attributes + "}";
  }
}
