package dev.spantransport.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SafeTextTest {

  @Test
  void ansiColourAndNewlineBecomeVisibleEscapes() {
    assertEquals(
        "\\e[31mred\\n guest hvsock /forged/path",
        SafeText.escape("\u001b[31mred\n guest hvsock /forged/path"));
  }

  @Test
  void namedEscapesForTheCommonControls() {
    assertEquals("\\a\\b\\t\\n\\v\\f\\r\\e", SafeText.escape("\u0007\b\t\n\u000b\f\r\u001b"));
  }

  @Test
  void everyOtherControlCharacterAndDelBecomesUnicodeEscape() {
    assertEquals("\\u0000\\u0001\\u001f\\u007f", SafeText.escape("\u0000\u0001\u001f\u007f"));
    assertEquals("\\u0080\\u009b\\u009f", SafeText.escape("\u0080\u009b\u009f"));
    assertEquals("a\\u2028b\\u2029c", SafeText.escape("a\u2028b\u2029c"));
  }

  @Test
  void backslashIsEscapedSoEscapesAreUnambiguous() {
    assertEquals("\\\\e", SafeText.escape("\\e"));
    assertEquals("\\\\\\e", SafeText.escape("\\\u001b"));
  }

  @Test
  void noCharacterBelowSpaceOrInTheC1RangeSurvives() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x3000; c++) {
      all.append(c);
    }
    String escaped = SafeText.escape(all);
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      assertTrue(
          c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f) && c != 0x2028 && c != 0x2029,
          "raw control character U+" + Integer.toHexString(c) + " at " + i);
    }
  }

  @Test
  void printableTextIncludingNonAsciiIsReturnedAsIs() {
    String text = "GET /api/orders/{id} · 日本語 é ✓";
    assertSame(text, SafeText.escape(text));
  }

  @Test
  void nullPrintsAsNull() {
    assertEquals("null", SafeText.escape(null));
  }
}
