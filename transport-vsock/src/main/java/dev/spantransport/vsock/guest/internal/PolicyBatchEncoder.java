package dev.spantransport.vsock.guest.internal;

import dev.spantransport.policy.AttributePolicy;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Collection;

/**
 * A {@link BatchEncoder} that applies the guest's {@link AttributePolicy} to every span before its
 * bytes are written, so nothing the policy removes is ever written into a frame. Over the codec's
 * encoder ({@link OtlpBatchEncoder}) the policy is folded into the encoding: each distinct key is
 * decided once, beside the encoder's own cached key bytes, and only a span the policy changes is
 * copied. Over any other encoder every span is passed through {@link AttributePolicy#apply} first
 * (spans it leaves alone as they are; the list handed over is reused). Used under the framer's
 * lock, one thread at a time.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class PolicyBatchEncoder implements BatchEncoder {

  private final BatchEncoder encoder;
  private final boolean folded; // the policy is applied inside the encoder
  private final AttributePolicy policy;
  private final ArrayList<SpanData> applied = new ArrayList<>();

  /** Wraps {@code encoder}, applying {@code policy} first. */
  public PolicyBatchEncoder(BatchEncoder encoder, AttributePolicy policy) {
    this.folded = encoder instanceof OtlpBatchEncoder;
    this.encoder = folded ? new OtlpBatchEncoder(policy) : encoder;
    this.policy = policy;
  }

  @Override
  public int prepare(Collection<SpanData> spans) {
    if (folded) {
      return encoder.prepare(spans);
    }
    applied.clear();
    for (SpanData span : spans) {
      applied.add(policy.apply(span));
    }
    return encoder.prepare(applied); // kept until the next batch: writeTo may still read it
  }

  @Override
  public int writeTo(byte[] dst, int offset) {
    return encoder.writeTo(dst, offset);
  }
}
