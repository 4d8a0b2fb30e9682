package dev.spantransport.vsock.guest.internal;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Collection;

/**
 * Encodes one batch of spans as an OTLP {@code ExportTraceServiceRequest}: a size pass, then one
 * write into a caller's array.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public interface BatchEncoder {

  /** Sizes {@code spans} and returns the encoded length in bytes. */
  int prepare(Collection<SpanData> spans);

  /** Writes the batch last {@linkplain #prepare prepared} at {@code offset}; returns its length. */
  int writeTo(byte[] dst, int offset);
}
