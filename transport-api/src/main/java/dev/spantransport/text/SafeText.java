package dev.spantransport.text;

/**
 * Makes guest-supplied text safe to print on a terminal or in a log line.
 *
 * <p>A guest controls span names, attribute keys and values, event names, status messages, its
 * agent name and much of what a decoder says about a malformed payload. Printed raw, such a string
 * can move the cursor, recolour or clear the terminal (ANSI escape sequences start with ESC, or
 * with the single C1 character CSI, U+009B) or end the line and forge the next one. {@link
 * #escape(CharSequence)} replaces every such character with a visible escape, so one guest string
 * always prints as one piece of one line:
 *
 * <table>
 *   <caption>Escapes</caption>
 *   <tr><th>character</th><th>printed as</th></tr>
 *   <tr><td>backslash</td><td>{@code \\}</td></tr>
 *   <tr><td>BEL, BS, TAB, LF, VT, FF, CR, ESC</td>
 *       <td>{@code \a \b \t \n \v \f \r \e}</td></tr>
 *   <tr><td>any other C0 control (U+0000..U+001F), DEL (U+007F), any C1 control
 *       (U+0080..U+009F), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029)</td>
 *       <td>{@code \}{@code uXXXX}, four lowercase hex digits, e.g. {@code \}{@code u009b}</td></tr>
 * </table>
 *
 * <p>The backslash is escaped too, so the output is unambiguous: a printed {@code \e} always was an
 * ESC, never the two characters a guest typed. Every other character, including non-ASCII text, is
 * kept as it is.
 *
 * @since 0.1.0
 */
public final class SafeText {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private SafeText() {}

  /**
   * Returns {@code text} with every control character, DEL, line and paragraph separator and
   * backslash replaced by a visible escape (see the class description); {@code "null"} for null, as
   * string concatenation would print it.
   *
   * @param text guest-supplied text, or null
   * @return text that holds no control character; {@code text} itself when nothing needed escaping
   */
  public static String escape(CharSequence text) {
    if (text == null) {
      return "null";
    }
    int length = text.length();
    int first = 0;
    while (first < length && !needsEscape(text.charAt(first))) {
      first++;
    }
    if (first == length) {
      return text.toString();
    }
    StringBuilder sb = new StringBuilder(length + 16);
    sb.append(text, 0, first);
    for (int i = first; i < length; i++) {
      char c = text.charAt(i);
      if (!needsEscape(c)) {
        sb.append(c);
        continue;
      }
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case 0x07 -> sb.append("\\a");
        case '\b' -> sb.append("\\b");
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        case 0x0b -> sb.append("\\v");
        case '\f' -> sb.append("\\f");
        case '\r' -> sb.append("\\r");
        case 0x1b -> sb.append("\\e");
        default ->
            sb.append("\\u")
                .append(HEX[(c >> 12) & 0xf])
                .append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf])
                .append(HEX[c & 0xf]);
      }
    }
    return sb.toString();
  }

  private static boolean needsEscape(char c) {
    return c < 0x20 || c == '\\' || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
