package dev.spantransport.vsock.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import io.opentelemetry.api.common.Attributes;
import org.junit.jupiter.api.Test;

class PeerLimitsTest {

  @Test
  void peerIsTheCidTheSocketFileTheUserOrTheAddressNeverThePort() {
    assertEquals(
        "vsock cid 7",
        PeerLimits.keyOf(
            PeerIdentity.create(
                "vsock", Attributes.of(PeerAttributes.CID, 7L, PeerAttributes.PORT, 1234L))));
    assertEquals(
        "hvsock socket_path /run/v.sock_1024",
        PeerLimits.keyOf(
            PeerIdentity.create(
                "hvsock",
                Attributes.of(
                    PeerAttributes.SOCKET_PATH, "/run/v.sock_1024", PeerAttributes.UID, 0L))));
    assertEquals(
        "unix uid 1000",
        PeerLimits.keyOf(
            PeerIdentity.create(
                "unix",
                Attributes.of(
                    PeerAttributes.SOCKET_PATH,
                    "/r.sock",
                    PeerAttributes.UID,
                    1000L,
                    PeerAttributes.PID,
                    42L))));
    assertEquals(
        "unix user alice",
        PeerLimits.keyOf(
            PeerIdentity.create(
                "unix",
                Attributes.of(
                    PeerAttributes.SOCKET_PATH, "/r.sock", PeerAttributes.USER, "alice"))));
    assertEquals(
        "tcp address 127.0.0.2",
        PeerLimits.keyOf(
            PeerIdentity.create(
                "tcp",
                Attributes.of(PeerAttributes.ADDRESS, "127.0.0.2", PeerAttributes.PORT, 5555L))));
  }

  @Test
  void peerAtItsConnectionCapIsRefusedWhileOthersAreNot() {
    PeerLimits limits = new PeerLimits(2, 1000);
    PeerLimits.Peer a1 = limits.open("a");
    PeerLimits.Peer a2 = limits.open("a");
    assertNotNull(a1);
    assertNotNull(a2);
    assertNull(limits.open("a"));
    assertNotNull(limits.open("b"));
    limits.closed(a1);
    assertNotNull(limits.open("a"), "a slot freed by a close");
  }

  @Test
  void peerShareBoundsWhatItsConnectionsHoldTogether() {
    PeerLimits limits = new PeerLimits(10, 1000);
    PeerLimits.Peer a = limits.open("a");
    assertTrue(limits.tryReserve(a, 600));
    assertFalse(limits.tryReserve(a, 401));
    assertTrue(limits.tryReserve(a, 400));
    limits.release(a, 1000);
    assertEquals(0, a.held());
  }

  @Test
  void peerIsForgottenOnceClosedAndHoldingNothing() {
    PeerLimits limits = new PeerLimits(10, 1000);
    PeerLimits.Peer a = limits.open("a");
    limits.forceReserve(a, 100); // a batch still in a sink
    limits.closed(a);
    assertEquals(1, limits.size(), "kept while its memory is held");
    limits.release(a, 100);
    assertEquals(0, limits.size());
  }
}
