package dev.spantransport.vsock.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The primitive tables a session keeps its in-sink and settled batches in answer exactly as the
 * {@link HashMap} and {@link TreeMap} they replaced, over long random runs of the operations a
 * session makes (sequences clustered as a window's are, so that probing chains and shifts happen).
 */
class SessionTablesTest {

  @Test
  void slotsBySequenceAgreeWithAHashMapOverRandomOperations() {
    SplittableRandom random = new SplittableRandom(7);
    SessionTable.SlotsBySequence table = new SessionTable.SlotsBySequence();
    Map<Long, Slot> reference = new HashMap<>();
    Slot[] slots = new Slot[8];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Slot(null, 0);
    }
    long base = 1;
    for (int step = 0; step < 200_000; step++) {
      long sequence = base + random.nextInt(96);
      switch (random.nextInt(3)) {
        case 0:
          Slot slot = slots[random.nextInt(slots.length)];
          table.put(sequence, slot);
          reference.put(sequence, slot);
          break;
        case 1:
          table.remove(sequence);
          reference.remove(sequence);
          break;
        default:
          assertSame(reference.get(sequence), table.get(sequence), "sequence " + sequence);
      }
      assertEquals(reference.size(), table.size());
      if (random.nextInt(64) == 0) {
        base += random.nextInt(32); // the window moves on, leaving some entries behind
      }
    }
    for (Map.Entry<Long, Slot> e : reference.entrySet()) {
      assertSame(e.getValue(), table.get(e.getKey()));
    }
  }

  @Test
  void settledSequencesAgreeWithATreeMapOverRandomOperations() {
    SplittableRandom random = new SplittableRandom(11);
    SessionTable.SettledSequences table = new SessionTable.SettledSequences();
    TreeMap<Long, Boolean> reference = new TreeMap<>();
    long base = 1;
    for (int step = 0; step < 200_000; step++) {
      long sequence = base + random.nextInt(48);
      switch (random.nextInt(4)) {
        case 0:
        case 1:
          boolean refused = random.nextInt(5) == 0;
          table.put(sequence, refused);
          reference.put(sequence, refused);
          break;
        case 2:
          long upTo = base + random.nextInt(24);
          table.removeUpTo(upTo);
          reference.headMap(upTo, true).clear();
          base = upTo;
          break;
        default:
          Boolean expected = reference.get(sequence);
          int expectedVerdict =
              expected == null
                  ? SessionTable.SettledSequences.ABSENT
                  : expected
                      ? SessionTable.SettledSequences.REFUSED
                      : SessionTable.SettledSequences.DELIVERED;
          assertEquals(expectedVerdict, table.get(sequence), "sequence " + sequence);
      }
      assertEquals(reference.size(), table.size());
    }
  }
}
