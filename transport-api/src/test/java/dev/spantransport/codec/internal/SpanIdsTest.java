package dev.spantransport.codec.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opentelemetry.api.internal.OtelEncodingUtils;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpanIdsTest {
  private static final byte TRACE_TAG = 0x0A;
  private static final byte SPAN_TAG = 0x12;

  @Test
  void writesTheBytesOfTheTraceSpanAndParentIdsOfEverySpanWhetherOrNotItHasAParent() {
    SpanIds ids = new SpanIds();
    Random random = new Random(5);
    for (int i = 0; i < 2000; i++) {
      String traceId = hex(random, 32);
      String spanId = hex(random, 16);
      // every other span has no parent, so a parent copied for the span before must not be reused
      String parentId = i % 2 == 0 ? hex(random, 16) : null;
      byte[] dst = new byte[64];
      int p = ids.writeTraceAndSpanId(dst, 3, TRACE_TAG, traceId, SPAN_TAG, spanId, parentId);
      assertEquals(3 + 28, p);
      byte[] expected = new byte[64];
      expected[3] = TRACE_TAG;
      expected[4] = 16;
      System.arraycopy(bytes(traceId), 0, expected, 5, 16);
      expected[21] = SPAN_TAG;
      expected[22] = 8;
      System.arraycopy(bytes(spanId), 0, expected, 23, 8);
      if (parentId != null) {
        assertEquals(p + 8, ids.writeParentSpanId(dst, p, parentId));
        System.arraycopy(bytes(parentId), 0, expected, p, 8);
      }
      assertArrayEquals(expected, dst, "span " + i);
    }
  }

  @Test
  void readsIdsLongerThanExpectedUpToTheExpectedLengthAndRejectsShorterOnes() {
    SpanIds ids = new SpanIds();
    String traceId = "0AF7651916CD43DD8448EB211C80319C";
    String spanId = "b7ad6b7169203331";
    byte[] dst = new byte[64];
    int p =
        ids.writeTraceAndSpanId(
            dst, 0, TRACE_TAG, traceId + "ff", SPAN_TAG, spanId + "00", spanId + "1");
    p = ids.writeParentSpanId(dst, p, spanId + "1");
    byte[] expected = new byte[36];
    expected[0] = TRACE_TAG;
    expected[1] = 16;
    System.arraycopy(bytes(traceId), 0, expected, 2, 16);
    expected[18] = SPAN_TAG;
    expected[19] = 8;
    System.arraycopy(bytes(spanId), 0, expected, 20, 8);
    System.arraycopy(bytes(spanId), 0, expected, 28, 8);
    assertEquals(36, p);
    assertArrayEquals(expected, Arrays.copyOf(dst, 36));

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ids.writeTraceAndSpanId(
                    new byte[64], 0, TRACE_TAG, traceId, SPAN_TAG, "b7ad6b71", null));
    assertEquals("id must have 16 hex digits: \"b7ad6b71\"", e.getMessage());
    // a short parent id after a valid one: the valid one, copied for the span before, is not used
    ids.writeTraceAndSpanId(new byte[64], 0, TRACE_TAG, traceId, SPAN_TAG, spanId, spanId);
    ids.writeTraceAndSpanId(new byte[64], 0, TRACE_TAG, traceId, SPAN_TAG, spanId, "b7ad");
    assertThrows(
        IllegalArgumentException.class, () -> ids.writeParentSpanId(new byte[64], 28, "b7ad"));
  }

  private static byte[] bytes(String hex) {
    return OtelEncodingUtils.bytesFromBase16(hex.toLowerCase(java.util.Locale.ROOT), hex.length());
  }

  private static String hex(Random random, int digits) {
    StringBuilder sb = new StringBuilder(digits);
    for (int i = 0; i < digits; i++) {
      sb.append("0123456789abcdefABCDEF".charAt(random.nextInt(22)));
    }
    return sb.toString();
  }
}
