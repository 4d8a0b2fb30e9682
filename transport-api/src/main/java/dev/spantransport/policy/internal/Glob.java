package dev.spantransport.policy.internal;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Attribute-key patterns: {@code *} matches any run of characters (dots included), {@code ?} one
 * character, everything else itself; {@code http.*} matches {@code http.method} and {@code
 * http.request.header.x}.
 *
 * <p>This class is internal and may change without notice.
 */
public final class Glob {

  private final Pattern[] patterns;

  private Glob(Pattern[] patterns) {
    this.patterns = patterns;
  }

  /** Compiles {@code globs}; an empty list matches nothing. */
  public static Glob of(List<String> globs) {
    Pattern[] patterns = new Pattern[globs.size()];
    for (int i = 0; i < patterns.length; i++) {
      patterns[i] = compile(globs.get(i));
    }
    return new Glob(patterns);
  }

  /** Returns whether any pattern matches {@code key} whole. */
  public boolean matches(String key) {
    for (Pattern p : patterns) {
      if (p.matcher(key).matches()) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether there is no pattern at all. */
  public boolean isEmpty() {
    return patterns.length == 0;
  }

  private static Pattern compile(String glob) {
    if (glob.isEmpty()) {
      throw new IllegalArgumentException("a key pattern must not be empty");
    }
    StringBuilder regex = new StringBuilder(glob.length() + 8);
    int literalStart = -1;
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' || c == '?') {
        if (literalStart >= 0) {
          regex.append(Pattern.quote(glob.substring(literalStart, i)));
          literalStart = -1;
        }
        regex.append(c == '*' ? ".*" : ".");
      } else if (literalStart < 0) {
        literalStart = i;
      }
    }
    if (literalStart >= 0) {
      regex.append(Pattern.quote(glob.substring(literalStart)));
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }
}
