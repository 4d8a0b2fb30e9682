package dev.spantransport.codec.internal;

/**
 * UTF-8 length and encoding straight from a {@link String}, without allocating.
 *
 * <p>An unpaired surrogate is written as {@code '?'}, which is what {@code String.getBytes(UTF_8)}
 * (and so OpenTelemetry's marshalers and protobuf-java's fallback) does.
 *
 * <p>The length is returned in a signed form so that the write pass knows, without re-scanning,
 * whether the string is pure ASCII: a value {@code >= 0} is the byte length of a pure ASCII string,
 * a negative value {@code v} means a non-ASCII string of {@code ~v} bytes.
 *
 * <p>This class is internal and may change at any time.
 */
public final class Utf8 {
  private Utf8() {}

  /**
   * Returns the UTF-8 byte length of {@code s}, or its bitwise complement when {@code s} holds any
   * non-ASCII character.
   */
  public static int encodedLength(String s) {
    int n = s.length();
    // Most strings are ASCII: OR all characters together without an early exit, a loop the JIT
    // unrolls (and may vectorize), and scan again only when some character is not ASCII.
    int any = 0;
    for (int k = 0; k < n; k++) {
      any |= s.charAt(k);
    }
    if (any < 0x80) {
      return n;
    }
    int i = 0;
    while (s.charAt(i) < 0x80) {
      i++;
    }
    int bytes = i;
    while (i < n) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        bytes += 1; // unpaired surrogate: '?'
      } else {
        bytes += 3;
      }
      i++;
    }
    return ~bytes;
  }

  /** Returns the byte length from a value returned by {@link #encodedLength(String)}. */
  public static int byteLength(int encodedLength) {
    return encodedLength >= 0 ? encodedLength : ~encodedLength;
  }

  /**
   * Writes {@code s} as UTF-8 at {@code pos}, given the value {@link #encodedLength(String)}
   * returned for it; returns the position after the last byte.
   */
  @SuppressWarnings(
      "deprecation") // getBytes(int, int, byte[], int) copies ASCII without allocating
  public static int write(byte[] dst, int pos, String s, int encodedLength) {
    int n = s.length();
    if (encodedLength >= 0) {
      s.getBytes(0, n, dst, pos);
      return pos + n;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        dst[pos++] = (byte) c;
      } else if (c < 0x800) {
        dst[pos++] = (byte) (0xC0 | (c >>> 6));
        dst[pos++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        dst[pos++] = (byte) (0xF0 | (cp >>> 18));
        dst[pos++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
        dst[pos++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
        dst[pos++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        dst[pos++] = (byte) '?';
      } else {
        dst[pos++] = (byte) (0xE0 | (c >>> 12));
        dst[pos++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
        dst[pos++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return pos;
  }
}
