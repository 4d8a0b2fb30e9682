package dev.spantransport.policy;

import dev.spantransport.policy.internal.Glob;
import dev.spantransport.policy.internal.KeyDecisions;
import dev.spantransport.policy.internal.PolicySpanData;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.internal.ImmutableKeyValuePairs;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decides what of a span's attributes may cross the VM boundary: on the guest before a byte leaves
 * the VM ({@code VsockSpanExporterBuilder.setAttributePolicy}), and on the host per guest ({@code
 * PolicySink}). It applies to the attributes of spans, their events and links, and their resource,
 * and to span names:
 *
 * <ul>
 *   <li>allow-list: with {@link AttributePolicyBuilder#allowKeys}, keys that match no allow pattern
 *       are dropped;
 *   <li>deny-list: keys matching a {@link AttributePolicyBuilder#denyKeys} pattern are dropped,
 *       even if allowed;
 *   <li>redaction: values of {@link AttributePolicyBuilder#redactKeys} keys are replaced by a fixed
 *       text;
 *   <li>keyed hashing: values of {@link AttributePolicyBuilder#hashKeys} keys are replaced by an
 *       HMAC-SHA256 of the value under a secret, so equal values stay equal (joinable) but cannot
 *       be read back;
 *   <li>a cap on string value length; and a span-name rewrite rule.
 * </ul>
 *
 * A dropped attribute is counted, not hidden: the span's total attribute count is kept, so OTLP's
 * {@code dropped_attributes_count} grows by the number dropped. A policy only removes or rewrites
 * what is there; it never adds a key, and it never touches keys under {@code spantransport.peer.},
 * the guest identity a receiver writes, so it cannot be used to forge or erase identity.
 *
 * <p>Immutable and thread-safe. A span that the policy does not change is returned as the same
 * instance, so an allow-list that lets everything through costs one cached look-up per key.
 *
 * @since 0.1.0
 */
public final class AttributePolicy {

  /** The text that replaces redacted values unless another is set. */
  public static final String DEFAULT_REDACTION_TEXT = "REDACTED";

  /** Keys under this prefix are a receiver's guest identity: no policy rule applies to them. */
  public static final String RESERVED_PREFIX = "spantransport.peer.";

  static final int KEEP = 0;
  static final int DROP = 1;
  static final int REDACT = 2;
  static final int HASH = 3;
  static final int EXEMPT = 4; // identity keys: kept as they are, not even capped

  private static final AttributePolicy ALLOW_ALL = new AttributePolicyBuilder().build();
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final boolean DIRECT_DATA = hasGetData();

  private final List<String> allow;
  private final List<String> deny;
  private final List<String> redact;
  private final List<String> hash;
  private final byte[] hashSecret; // null without hash rules
  private final String redactionText;
  private final int maxValueLength; // 0: no cap
  private final Pattern spanNamePattern; // null: names untouched
  private final String spanNameReplacement;
  private final boolean allowAll;
  private final Glob allowGlob;
  private final Glob denyGlob;
  private final Glob redactGlob;
  private final Glob hashGlob;
  private final KeyDecisions decisions;
  private final ThreadLocal<Scan> scans = ThreadLocal.withInitial(Scan::new);
  private final ThreadLocal<Mac> macs;
  private volatile ResourcePair lastResource = new ResourcePair(null, null);

  private static final class ResourcePair {
    final Resource in;
    final Resource out;

    ResourcePair(Resource in, Resource out) {
      this.in = in;
      this.out = out;
    }
  }

  AttributePolicy(AttributePolicyBuilder b) {
    this.allow = List.copyOf(b.allow);
    this.deny = List.copyOf(b.deny);
    this.redact = List.copyOf(b.redact);
    this.hash = List.copyOf(b.hash);
    this.hashSecret = b.hashSecret == null ? null : b.hashSecret.clone();
    this.redactionText = b.redactionText;
    this.maxValueLength = b.maxValueLength;
    this.spanNamePattern = b.spanNamePattern;
    this.spanNameReplacement = b.spanNameReplacement;
    this.allowGlob = Glob.of(allow);
    this.denyGlob = Glob.of(deny);
    this.redactGlob = Glob.of(redact);
    this.hashGlob = Glob.of(hash);
    this.allowAll =
        allow.isEmpty()
            && deny.isEmpty()
            && redact.isEmpty()
            && hash.isEmpty()
            && maxValueLength == 0
            && spanNamePattern == null;
    this.decisions = new KeyDecisions(this::decide);
    byte[] secret = hashSecret;
    this.macs =
        secret == null
            ? null
            : ThreadLocal.withInitial(
                () -> {
                  try {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                    return mac;
                  } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("HmacSHA256 is not available", e);
                  }
                });
  }

  /** Returns a builder for a policy; with no rule set it lets everything through. */
  public static AttributePolicyBuilder builder() {
    return new AttributePolicyBuilder();
  }

  /** Returns the policy that changes nothing. */
  public static AttributePolicy allowAll() {
    return ALLOW_ALL;
  }

  /** Returns whether this policy changes nothing at all. */
  public boolean isAllowAll() {
    return allowAll;
  }

  /**
   * Returns whether this policy leaves every attribute with {@code key} exactly as it is, whatever
   * its value: the key is kept (or is a receiver's identity key, which no rule touches) and its
   * values are neither redacted, hashed nor capped. An encoder can then write such attributes
   * straight, deciding once per distinct key instead of applying the policy to every span.
   */
  public boolean keepsUnchanged(String key) {
    if (allowAll) {
      return true;
    }
    int action = decisions.actionFor(key);
    return action == EXEMPT || (action == KEEP && maxValueLength == 0);
  }

  /**
   * Returns whether this policy can change a span whatever its keys are: it caps value lengths or
   * rewrites span names.
   */
  public boolean rewritesValuesOrNames() {
    return maxValueLength > 0 || spanNamePattern != null;
  }

  /**
   * Applies the policy to a span: its attributes, its events' and links' attributes, its resource's
   * attributes and its name. Returns {@code span} itself when nothing changes.
   */
  public SpanData apply(SpanData span) {
    if (allowAll) {
      return span;
    }
    Attributes attributes = apply(span.getAttributes());
    List<EventData> events = applyEvents(span.getEvents());
    List<LinkData> links = applyLinks(span.getLinks());
    Resource resource = apply(span.getResource());
    String name = span.getName();
    if (spanNamePattern != null) {
      Matcher m = spanNamePattern.matcher(name);
      if (m.find()) {
        name = m.replaceAll(spanNameReplacement);
      }
    }
    if (attributes == span.getAttributes()
        && events == span.getEvents()
        && links == span.getLinks()
        && resource == span.getResource()
        && name.equals(span.getName())) {
      return span;
    }
    return new PolicySpanData(span, name, attributes, events, links, resource);
  }

  /** Applies the policy to one set of attributes; returns the same instance when none changes. */
  public Attributes apply(Attributes attributes) {
    if (allowAll || attributes.isEmpty()) {
      return attributes;
    }
    if (!changes(attributes)) {
      return attributes;
    }
    AttributesBuilder out = Attributes.builder();
    attributes.forEach((key, value) -> write(out, key, value));
    return out.build();
  }

  /** Applies the policy to a resource's attributes; returns the same instance when none changes. */
  public Resource apply(Resource resource) {
    if (allowAll) {
      return resource;
    }
    ResourcePair last = lastResource;
    if (last.in == resource) {
      return last.out;
    }
    Attributes attributes = apply(resource.getAttributes());
    Resource out =
        attributes == resource.getAttributes()
            ? resource
            : Resource.create(attributes, resource.getSchemaUrl());
    lastResource = new ResourcePair(resource, out);
    return out;
  }

  private List<EventData> applyEvents(List<EventData> events) {
    List<EventData> out = null;
    for (int i = 0; i < events.size(); i++) {
      EventData e = events.get(i);
      Attributes a = apply(e.getAttributes());
      if (a != e.getAttributes() && out == null) {
        out = new ArrayList<>(events.subList(0, i));
      }
      if (out != null) {
        out.add(
            a == e.getAttributes()
                ? e
                : EventData.create(e.getEpochNanos(), e.getName(), a, e.getTotalAttributeCount()));
      }
    }
    return out == null ? events : out;
  }

  private List<LinkData> applyLinks(List<LinkData> links) {
    List<LinkData> out = null;
    for (int i = 0; i < links.size(); i++) {
      LinkData l = links.get(i);
      Attributes a = apply(l.getAttributes());
      if (a != l.getAttributes() && out == null) {
        out = new ArrayList<>(links.subList(0, i));
      }
      if (out != null) {
        out.add(
            a == l.getAttributes()
                ? l
                : LinkData.create(l.getSpanContext(), a, l.getTotalAttributeCount()));
      }
    }
    return out == null ? links : out;
  }

  /**
   * Returns whether the policy changes anything in {@code attributes}. The SDK's attributes are
   * walked through their backing array where OpenTelemetry exposes it (as the encoder does), with
   * no callback per attribute; any other implementation through {@code forEach}.
   */
  private boolean changes(Attributes attributes) {
    if (DIRECT_DATA && attributes instanceof ImmutableKeyValuePairs) {
      Object[] data = ((ImmutableKeyValuePairs<?, ?>) attributes).getData();
      for (int i = 0; i + 1 < data.length; i += 2) {
        int action = decisions.actionFor(((AttributeKey<?>) data[i]).getKey());
        if (action != EXEMPT && (action != KEEP || tooLong(data[i + 1]))) {
          return true;
        }
      }
      return false;
    }
    Scan scan = scans.get();
    scan.changed = false;
    attributes.forEach(scan);
    return scan.changed;
  }

  private static boolean hasGetData() {
    try {
      return ImmutableKeyValuePairs.class.getMethod("getData").getReturnType() == Object[].class;
    } catch (NoSuchMethodException | LinkageError e) {
      return false;
    }
  }

  /** Looks for anything the policy changes; one per thread, reused. */
  private final class Scan implements BiConsumer<AttributeKey<?>, Object> {
    boolean changed;

    @Override
    public void accept(AttributeKey<?> key, Object value) {
      if (changed) {
        return;
      }
      int action = decisions.actionFor(key.getKey());
      if (action != EXEMPT && (action != KEEP || tooLong(value))) {
        changed = true;
      }
    }
  }

  private boolean tooLong(Object value) {
    if (maxValueLength == 0) {
      return false;
    }
    if (value instanceof String) {
      return ((String) value).length() > maxValueLength;
    }
    if (value instanceof List) {
      for (Object o : (List<?>) value) {
        if (o instanceof String && ((String) o).length() > maxValueLength) {
          return true;
        }
      }
    }
    return false;
  }

  @SuppressWarnings("unchecked")
  private void write(AttributesBuilder out, AttributeKey<?> key, Object value) {
    switch (decisions.actionFor(key.getKey())) {
      case DROP:
        return;
      case REDACT:
        out.put(AttributeKey.stringKey(key.getKey()), redactionText);
        return;
      case HASH:
        out.put(AttributeKey.stringKey(key.getKey()), hash(String.valueOf(value)));
        return;
      case EXEMPT:
        out.put((AttributeKey<Object>) key, value);
        return;
      default:
        break;
    }
    if (maxValueLength > 0 && key.getType() == AttributeType.STRING) {
      out.put((AttributeKey<String>) key, cap((String) value));
    } else if (maxValueLength > 0 && key.getType() == AttributeType.STRING_ARRAY) {
      List<String> capped = new ArrayList<>();
      for (String s : (List<String>) value) {
        capped.add(cap(s));
      }
      out.put((AttributeKey<List<String>>) key, capped);
    } else {
      out.put((AttributeKey<Object>) key, value);
    }
  }

  private String cap(String value) {
    if (value.length() <= maxValueLength) {
      return value;
    }
    int end = maxValueLength;
    if (Character.isHighSurrogate(value.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    return value.substring(0, end);
  }

  private String hash(String value) {
    byte[] digest = macs.get().doFinal(value.getBytes(StandardCharsets.UTF_8));
    char[] hex = new char[32];
    for (int i = 0; i < 16; i++) {
      hex[2 * i] = HEX[(digest[i] >> 4) & 0xf];
      hex[2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(hex);
  }

  private int decide(String key) {
    if (key.startsWith(RESERVED_PREFIX)) {
      return EXEMPT;
    }
    if (denyGlob.matches(key) || !allowGlob.isEmpty() && !allowGlob.matches(key)) {
      return DROP;
    }
    if (hashGlob.matches(key)) {
      return HASH;
    }
    if (redactGlob.matches(key)) {
      return REDACT;
    }
    return KEEP;
  }

  /**
   * Returns the policy's rules; a hash secret is shown only as its length.
   *
   * @return for example {@code AttributePolicy{allow=[http.*], hashSecret=32 bytes}}
   */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(", ", "AttributePolicy{", "}");
    if (!allow.isEmpty()) {
      j.add("allow=" + allow);
    }
    if (!deny.isEmpty()) {
      j.add("deny=" + deny);
    }
    if (!redact.isEmpty()) {
      j.add("redact=" + redact).add("redactionText=" + redactionText);
    }
    if (!hash.isEmpty()) {
      j.add("hash=" + hash).add("hashSecret=" + hashSecret.length + " bytes");
    }
    if (maxValueLength > 0) {
      j.add("maxValueLength=" + maxValueLength);
    }
    if (spanNamePattern != null) {
      j.add("spanName=" + spanNamePattern.pattern() + " -> " + spanNameReplacement);
    }
    return j.toString();
  }
}
