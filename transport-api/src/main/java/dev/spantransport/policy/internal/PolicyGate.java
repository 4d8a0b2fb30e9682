package dev.spantransport.policy.internal;

import dev.spantransport.codec.internal.SpanGate;
import dev.spantransport.policy.AttributePolicy;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;

/**
 * An {@link AttributePolicy} as the encoder's {@link SpanGate}: a key passes when the policy keeps
 * its attributes unchanged whatever their values; a policy that caps values or renames spans is
 * applied to every span.
 *
 * <p>This class is internal and may change without notice.
 */
public final class PolicyGate implements SpanGate {

  private final AttributePolicy policy;
  private final boolean decidesByKey;

  /** Creates the gate of {@code policy}. */
  public PolicyGate(AttributePolicy policy) {
    this.policy = policy;
    this.decidesByKey = !policy.rewritesValuesOrNames();
  }

  @Override
  public boolean decidesByKey() {
    return decidesByKey;
  }

  @Override
  public boolean passes(String key) {
    return policy.keepsUnchanged(key);
  }

  @Override
  public SpanData apply(SpanData span) {
    return policy.apply(span);
  }

  @Override
  public Resource apply(Resource resource) {
    return policy.apply(resource);
  }

  @Override
  public String toString() {
    return "PolicyGate{" + policy + "}";
  }
}
