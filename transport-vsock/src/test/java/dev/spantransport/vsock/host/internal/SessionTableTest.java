package dev.spantransport.vsock.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class SessionTableTest {

  @Test
  void forgetsTheLeastRecentlyUsedSessionNobodyHolds() {
    SessionTable table = new SessionTable(2);
    SessionTable.Session a = table.session(0, 1);
    table.session(0, 2);
    table.session(0, 3);
    assertEquals(2, table.size());
    assertNotSame(a, table.session(0, 1), "session 1 was forgotten");
  }

  @Test
  void neverForgetsASessionALiveConnectionHolds() {
    SessionTable table = new SessionTable(1);
    SessionTable.Session held = table.open(0, 1);
    SessionTable.Session other = table.open(0, 2);
    held.ack(5);
    assertSame(held, table.session(0, 1), "a held session stays");
    assertSame(other, table.session(0, 2), "while both are held the table holds both");
    assertEquals(5, table.open(0, 1).acked());
    table.release(held);
    assertSame(held, table.session(0, 1), "still held once");
    table.release(held);
    assertEquals(1, table.size(), "back to the capacity once a session is free");
    assertSame(other, table.session(0, 2), "the held one stays, the released one went");
  }
}
