package dev.spantransport.sink;

import static java.util.Objects.requireNonNull;

import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpSpanDecoder;
import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.policy.AttributePolicy;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A sink that applies an {@link AttributePolicy} chosen per guest before handing each batch on: the
 * host's side of "what leaves the guest", for the hosts of many tenants with different rules. The
 * policy is picked from the batch (its {@link SpanBatch#identity() identity} and {@link
 * SpanBatch#peer() peer}, which come from the socket, never from the payload); a batch whose policy
 * changes nothing is passed on untouched, any other is decoded, rewritten and re-encoded.
 *
 * <p>A policy never adds keys and never touches the receiver's {@code spantransport.peer.*}
 * identity, so no per-guest policy can forge or erase a guest's identity.
 *
 * @since 0.1.0
 */
public final class PolicySink implements SpanSink {

  private static final OtlpSpanDecoder DECODER = new OtlpSpanDecoder();

  private final SpanSink delegate;
  private final Function<SpanBatch, AttributePolicy> policies;
  private final ThreadLocal<OtlpSpanEncoder> encoders =
      ThreadLocal.withInitial(OtlpSpanEncoder::new);

  private PolicySink(SpanSink delegate, Function<SpanBatch, AttributePolicy> policies) {
    this.delegate = delegate;
    this.policies = policies;
  }

  /** Applies {@code policy} to every guest's batches, then hands them to {@code delegate}. */
  public static PolicySink create(SpanSink delegate, AttributePolicy policy) {
    requireNonNull(policy, "policy");
    return create(delegate, batch -> policy);
  }

  /**
   * Applies the policy {@code policyForGuest} returns for each batch (null means {@link
   * AttributePolicy#allowAll()}), then hands the batch to {@code delegate}.
   */
  public static PolicySink create(
      SpanSink delegate, Function<SpanBatch, AttributePolicy> policyForGuest) {
    return new PolicySink(
        requireNonNull(delegate, "delegate"), requireNonNull(policyForGuest, "policyForGuest"));
  }

  /**
   * Applies the guest's policy and passes the batch on; a payload that cannot be decoded is refused
   * for good ({@link BatchRejectedException}), since resending cannot fix it.
   */
  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    AttributePolicy policy;
    try {
      policy = policies.apply(batch);
    } catch (RuntimeException e) {
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    if (policy == null || policy.isAllowAll()) {
      return delegate.accept(batch);
    }
    List<SpanData> spans;
    try {
      spans = DECODER.decode(batch.buffer(), batch.offset(), batch.length());
    } catch (MalformedPayloadException e) {
      return CompletableResultCode.ofExceptionalFailure(
          new BatchRejectedException("payload is not OTLP: " + e.getMessage(), e));
    }
    List<SpanData> applied = new ArrayList<>(spans.size());
    for (SpanData span : spans) {
      applied.add(policy.apply(span));
    }
    byte[] bytes = encoders.get().encode(applied);
    SpanBatch rewritten =
        SpanBatch.of(
            batch.peer(),
            batch.identity(),
            batch.sessionId(),
            batch.sequence(),
            applied.size(),
            bytes,
            0,
            bytes.length);
    return delegate.accept(rewritten);
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }

  @Override
  public String toString() {
    return "PolicySink{delegate=" + delegate + "}";
  }
}
