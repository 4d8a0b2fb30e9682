package dev.spantransport.codec.internal;

import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;

/**
 * A rule the encoder applies to spans as it writes them, deciding by attribute key wherever it can:
 * a span whose attribute keys (its own, its events' and its links') all {@link #passes pass} is
 * written as it is; any other span is written as {@link #apply} returns it. The encoder remembers
 * each distinct key's answer beside that key's encoded bytes, so a batch costs one check per
 * attribute, not a pass over the spans before encoding.
 *
 * <p>This interface is internal and may change at any time.
 */
public interface SpanGate {

  /**
   * Whether a span may be written as it is when every key passes; false makes the encoder {@link
   * #apply} the rule to every span (for rules that also look at values or names).
   */
  boolean decidesByKey();

  /** Whether every attribute with {@code key} is left exactly as it is, whatever its value. */
  boolean passes(String key);

  /** Returns the span as the rule leaves it; the span itself when nothing changes. */
  SpanData apply(SpanData span);

  /** Returns the resource as the rule leaves it; the resource itself when nothing changes. */
  Resource apply(Resource resource);
}
