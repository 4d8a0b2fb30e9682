package dev.spantransport.vsock.guest.internal;

import dev.spantransport.codec.OtlpSpanEncoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Collection;

/**
 * {@link BatchEncoder} over the codec's {@link OtlpSpanEncoder}.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class OtlpBatchEncoder implements BatchEncoder {

  private final OtlpSpanEncoder encoder = new OtlpSpanEncoder();

  @Override
  public int prepare(Collection<SpanData> spans) {
    return encoder.prepare(spans);
  }

  @Override
  public int writeTo(byte[] dst, int offset) {
    return encoder.writeTo(dst, offset);
  }
}
