package dev.spantransport.wire.internal;

/**
 * UTF-8 length and encoding without allocation, for the strings in control frames. Unpaired
 * surrogates are encoded as {@code '?'}, as {@link String#getBytes} does.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class Utf8 {

  private Utf8() {}

  /** Returns the number of bytes {@code s} takes in UTF-8. */
  public static int encodedLength(CharSequence s) {
    int length = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        length += 1;
      } else if (c < 0x800) {
        length += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        length += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        length += 1;
      } else {
        length += 3;
      }
    }
    return length;
  }

  /** Writes {@code s} as UTF-8 into {@code dst} at {@code offset}; returns the bytes written. */
  public static int encode(CharSequence s, byte[] dst, int offset) {
    int p = offset;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        dst[p++] = (byte) c;
      } else if (c < 0x800) {
        dst[p++] = (byte) (0xC0 | (c >>> 6));
        dst[p++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        dst[p++] = (byte) (0xF0 | (cp >>> 18));
        dst[p++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
        dst[p++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
        dst[p++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        dst[p++] = (byte) '?';
      } else {
        dst[p++] = (byte) (0xE0 | (c >>> 12));
        dst[p++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
        dst[p++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return p - offset;
  }
}
