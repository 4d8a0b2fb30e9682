package dev.spantransport.vsock.guest.internal;

import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.policy.AttributePolicy;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Collection;

/**
 * {@link BatchEncoder} over the codec's {@link OtlpSpanEncoder}.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class OtlpBatchEncoder implements BatchEncoder {

  private final OtlpSpanEncoder encoder;

  /** Encodes spans as they are. */
  public OtlpBatchEncoder() {
    encoder = new OtlpSpanEncoder();
  }

  /** Encodes spans as {@code policy} leaves them, deciding per distinct key while encoding. */
  public OtlpBatchEncoder(AttributePolicy policy) {
    encoder = new OtlpSpanEncoder(policy);
  }

  @Override
  public int prepare(Collection<SpanData> spans) {
    return encoder.prepare(spans);
  }

  @Override
  public int writeTo(byte[] dst, int offset) {
    return encoder.writeTo(dst, offset);
  }
}
