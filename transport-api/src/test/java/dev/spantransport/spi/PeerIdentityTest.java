package dev.spantransport.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.opentelemetry.api.common.Attributes;
import org.junit.jupiter.api.Test;

class PeerIdentityTest {

  @Test
  void addsTransportAttribute() {
    PeerIdentity id = PeerIdentity.create("vsock", Attributes.of(PeerAttributes.CID, 3L));
    assertEquals("vsock", id.transport());
    assertEquals("vsock", id.attributes().get(PeerAttributes.TRANSPORT));
    assertEquals(3L, id.attributes().get(PeerAttributes.CID));
  }

  @Test
  void equalityFollowsTransportAndAttributes() {
    PeerIdentity a = PeerIdentity.create("vsock", Attributes.of(PeerAttributes.CID, 3L));
    PeerIdentity b = PeerIdentity.create("vsock", Attributes.of(PeerAttributes.CID, 3L));
    PeerIdentity c = PeerIdentity.create("vsock", Attributes.of(PeerAttributes.CID, 4L));
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, c);
  }
}
