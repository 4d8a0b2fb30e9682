package dev.spantransport.vsock.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The session's record of batches in the sinks and settled, across connections. */
class SessionInFlightTest {

  private static Slot slot() {
    return new Slot(null, 1);
  }

  @Test
  void secondClaimOfABatchInTheSinksWaitsAndIsHandedItsOutcome() {
    SessionTable.Session session = new SessionTable(4, 4).open(1, 1);
    Slot first = slot();
    Slot resend = slot();

    assertEquals(SessionTable.Session.DISPATCH, session.claim(7, first));
    assertEquals(SessionTable.Session.WAIT, session.claim(7, resend));
    assertEquals(1, session.inSinks());

    assertEquals(List.of(resend), session.finish(7, SessionTable.Session.DELIVERED));
    assertEquals(0, session.inSinks());
    assertEquals(SessionTable.Session.SETTLED, session.claim(7, slot()), "delivered, not acked");
  }

  @Test
  void failedBatchIsDispatchedAgainAndRefusedOneIsReportedRefused() {
    SessionTable.Session session = new SessionTable(4, 4).open(2, 2);
    session.claim(1, slot());
    session.claim(2, slot());
    assertNull(session.finish(1, SessionTable.Session.RETRY));
    assertNull(session.finish(2, SessionTable.Session.REFUSED));

    assertEquals(SessionTable.Session.DISPATCH, session.claim(1, slot()));
    assertEquals(SessionTable.Session.REFUSED_BEFORE, session.claim(2, slot()));
  }

  @Test
  void ackForgetsSettledSequencesItCoversAndTheSetIsBounded() {
    SessionTable.Session session = new SessionTable(4, 2).open(3, 3);
    for (long s = 1; s <= 3; s++) {
      session.claim(s, slot());
      session.finish(s, SessionTable.Session.DELIVERED);
    }
    assertEquals(SessionTable.Session.SETTLED, session.claim(1, slot()));
    assertEquals(SessionTable.Session.SETTLED, session.claim(2, slot()));
    assertEquals(
        SessionTable.Session.DISPATCH, session.claim(3, slot()), "beyond the bound: at least once");
    session.finish(3, SessionTable.Session.DELIVERED);

    session.ack(2);

    assertEquals(SessionTable.Session.SETTLED, session.claim(2, slot()), "acked");
    assertEquals(SessionTable.Session.DISPATCH, session.claim(3, slot()));
    session.finish(3, SessionTable.Session.DELIVERED);
    assertEquals(SessionTable.Session.SETTLED, session.claim(3, slot()), "room again after ack");
  }
}
