package dev.spantransport.codec.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class KeyValueCacheTest {
  private static final byte[] GET_PAIR = {5, 1, 2, 3, 4, 5};

  @Test
  void copiesTheBytesOfAPairItWasOfferedForTheSameValueObject() {
    KeyValueCache cache = new KeyValueCache(16);
    String key = "http.request.method";
    String value = "GET";
    int k = cache.keyIndex(key);
    assertEquals(-1, cache.findPair(k, value));
    cache.offer(k, value, GET_PAIR, 0, GET_PAIR.length);

    int slot = cache.findPair(k, value);
    assertTrue(slot >= 0);
    byte[] out = new byte[GET_PAIR.length + KeyValueCache.COPY_SLACK];
    assertEquals(GET_PAIR.length, cache.writePair(slot, out, 0));
    assertArrayEquals(GET_PAIR, Arrays.copyOf(out, GET_PAIR.length));
    // An equal string that is another object is a miss: entries are matched by identity only.
    assertEquals(-1, cache.findPair(k, new String("GET".toCharArray())));
  }

  @Test
  void stopsKeepingValuesOfAKeyWhoseValuesDoNotRepeat() {
    KeyValueCache cache = new KeyValueCache(16);
    int k = cache.keyIndex("url.full");
    int kept = 0;
    for (int i = 1; i <= 200; i++) {
      String value = "https://example.com/" + i;
      assertEquals(-1, cache.findPair(k, value));
      cache.offer(k, value, GET_PAIR, 0, GET_PAIR.length);
      if (cache.holds(k, value)) {
        kept++;
      }
    }
    // Kept while warming up (lookups 1 to 63), then only at the periodic probes (lookups 64,
    // 128 and 192): 66 of 200 never-repeating values were copied into the cache.
    assertEquals(66, kept);
  }

  @Test
  void aReplacedKeyDoesNotInheritTheValuesOfTheKeyBeforeIt() {
    KeyValueCache cache = new KeyValueCache(2);
    String first = new String("first".toCharArray());
    int k = cache.keyIndex(first);
    cache.offer(k, Boolean.TRUE, GET_PAIR, 0, GET_PAIR.length);
    assertTrue(cache.findPair(k, Boolean.TRUE) >= 0);
    int replaced = -1;
    for (int i = 0; i < 1000 && replaced < 0; i++) {
      String other = new String(("other-" + i).toCharArray());
      if (cache.keyIndex(other) == k) {
        replaced = i;
      }
    }
    assertNotEquals(-1, replaced, "no key ever took the first key's entry");
    assertEquals(-1, cache.findPair(k, Boolean.TRUE));
  }

  @Test
  void doesNotCacheEmptyOrLongKeys() {
    KeyValueCache cache = new KeyValueCache(16);
    assertEquals(-1, cache.keyIndex(""));
    assertEquals(-1, cache.keyIndex("k".repeat(KeyValueCache.KEY_FIELD_BYTES - 1)));
    int k = cache.keyIndex("k".repeat(KeyValueCache.KEY_FIELD_BYTES - 2));
    assertEquals(KeyValueCache.KEY_FIELD_BYTES, cache.keyFieldLength(k));
  }
}
