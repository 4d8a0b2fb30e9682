package dev.spantransport.forwarder.internal;

import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.forwarder.kata.KataSpanDecoder;
import dev.spantransport.vsock.host.LegacyFrameDecoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Plugs the Kata agent's framing into a receiver: each legacy frame body is one Kata span, decoded
 * by {@link KataSpanDecoder} and re-encoded as a one-span OTLP request, so Kata agents and
 * span-transport guests share one port and one sink path. A malformed body throws, which closes
 * only that connection.
 *
 * <p>Runs on the receiver's I/O thread. The encoder is reused, so instances are confined to one
 * thread at a time (the method is synchronized for receivers with several I/O threads).
 *
 * <p>This class is internal and may change without notice.
 */
public final class KataLegacyDecoder implements LegacyFrameDecoder {

  private final KataSpanDecoder decoder;
  private final OtlpSpanEncoder encoder = new OtlpSpanEncoder();

  /**
   * Creates the decoder.
   *
   * @param decoder decodes the Kata span payloads
   */
  public KataLegacyDecoder(KataSpanDecoder decoder) {
    this.decoder = Objects.requireNonNull(decoder, "decoder");
  }

  @Override
  public synchronized byte[] decode(byte[] buffer, int offset, int length) throws IOException {
    SpanData span = decoder.decode(buffer, offset, length);
    return encoder.encode(List.of(span));
  }

  @Override
  public String toString() {
    return "KataLegacyDecoder{" + decoder + "}";
  }
}
