package dev.spantransport.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Builds an {@link AttributePolicy}. Key patterns are globs: {@code *} matches any run of
 * characters, {@code ?} one character ({@code http.*}, {@code *.password}, {@code user.id}). Every
 * setter checks its argument at once, naming the rule and the value.
 */
public final class AttributePolicyBuilder {

  /** The shortest hash secret accepted: 16 bytes (128 bits). */
  public static final int MIN_HASH_SECRET_LENGTH = 16;

  final List<String> allow = new ArrayList<>();
  final List<String> deny = new ArrayList<>();
  final List<String> redact = new ArrayList<>();
  final List<String> hash = new ArrayList<>();
  byte[] hashSecret;
  String redactionText = AttributePolicy.DEFAULT_REDACTION_TEXT;
  int maxValueLength;
  Pattern spanNamePattern;
  String spanNameReplacement;

  AttributePolicyBuilder() {}

  /**
   * Lets only keys matching one of {@code patterns} through (plus the receiver's own identity
   * keys); every other key is dropped and counted. May be called again to add patterns.
   */
  public AttributePolicyBuilder allowKeys(String... patterns) {
    return allowKeys(Arrays.asList(requireNonNull(patterns, "patterns")));
  }

  /** Collection form of {@link #allowKeys(String...)}. */
  public AttributePolicyBuilder allowKeys(Collection<String> patterns) {
    allow.addAll(checked(patterns));
    return this;
  }

  /** Drops keys matching one of {@code patterns}, even if they are allowed. */
  public AttributePolicyBuilder denyKeys(String... patterns) {
    return denyKeys(Arrays.asList(requireNonNull(patterns, "patterns")));
  }

  /** Collection form of {@link #denyKeys(String...)}. */
  public AttributePolicyBuilder denyKeys(Collection<String> patterns) {
    deny.addAll(checked(patterns));
    return this;
  }

  /** Replaces the values of keys matching one of {@code patterns} by the redaction text. */
  public AttributePolicyBuilder redactKeys(String... patterns) {
    return redactKeys(Arrays.asList(requireNonNull(patterns, "patterns")));
  }

  /** Collection form of {@link #redactKeys(String...)}. */
  public AttributePolicyBuilder redactKeys(Collection<String> patterns) {
    redact.addAll(checked(patterns));
    return this;
  }

  /**
   * Replaces the values of keys matching one of {@code patterns} by the first 16 bytes, as 32 hex
   * digits, of HMAC-SHA256 under {@code secret} of the value's text: equal values give equal
   * hashes, so they can still be joined, but without the secret they cannot be recovered or guessed
   * by hashing candidates. Hashing wins over redaction when a key matches both.
   *
   * @param secret at least {@value #MIN_HASH_SECRET_LENGTH} bytes; copied
   */
  public AttributePolicyBuilder hashKeys(byte[] secret, String... patterns) {
    return hashKeys(secret, Arrays.asList(requireNonNull(patterns, "patterns")));
  }

  /** Collection form of {@link #hashKeys(byte[], String...)}. */
  public AttributePolicyBuilder hashKeys(byte[] secret, Collection<String> patterns) {
    requireNonNull(secret, "secret");
    if (secret.length < MIN_HASH_SECRET_LENGTH) {
      throw new IllegalArgumentException(
          "hash secret must be at least "
              + MIN_HASH_SECRET_LENGTH
              + " bytes: "
              + secret.length
              + " bytes");
    }
    if (hashSecret != null && !Arrays.equals(hashSecret, secret)) {
      throw new IllegalArgumentException("all hashed keys must use the same secret");
    }
    hash.addAll(checked(patterns));
    hashSecret = secret.clone();
    return this;
  }

  /**
   * Sets the text that replaces redacted values. Default {@value
   * AttributePolicy#DEFAULT_REDACTION_TEXT}.
   */
  public AttributePolicyBuilder setRedactionText(String text) {
    this.redactionText = requireNonNull(text, "text");
    return this;
  }

  /**
   * Cuts string values (and each string of a string array) to at most {@code maxValueLength}
   * characters, never splitting a surrogate pair. Default: no cap.
   */
  public AttributePolicyBuilder setMaxValueLength(int maxValueLength) {
    if (maxValueLength < 1) {
      throw new IllegalArgumentException("maxValueLength must be at least 1: " + maxValueLength);
    }
    this.maxValueLength = maxValueLength;
    return this;
  }

  /**
   * Rewrites span names: every match of the regular expression {@code pattern} is replaced by
   * {@code replacement} ({@code $1} refers to a group), e.g. {@code "/users/\\d+"} to {@code
   * "/users/{id}"} so that ids in names do not leave the guest.
   *
   * @throws IllegalArgumentException if {@code pattern} is not a valid regular expression
   */
  public AttributePolicyBuilder setSpanNameRule(String pattern, String replacement) {
    requireNonNull(pattern, "pattern");
    requireNonNull(replacement, "replacement");
    try {
      this.spanNamePattern = Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "span name pattern must be a regular expression: " + pattern, e);
    }
    this.spanNameReplacement = replacement;
    return this;
  }

  /** Builds the policy. */
  public AttributePolicy build() {
    return new AttributePolicy(this);
  }

  private static List<String> checked(Collection<String> patterns) {
    requireNonNull(patterns, "patterns");
    List<String> out = new ArrayList<>(patterns.size());
    for (String p : patterns) {
      requireNonNull(p, "pattern");
      String trimmed = p.trim();
      if (trimmed.isEmpty()) {
        throw new IllegalArgumentException("a key pattern must not be empty: '" + p + "'");
      }
      out.add(trimmed);
    }
    return out;
  }
}
