package dev.spantransport.codec.internal;

import io.opentelemetry.api.trace.TraceState;
import java.util.function.BiConsumer;

/**
 * Writes a {@link TraceState} as the W3C {@code tracestate} header string OTLP carries ({@code
 * key=value} entries joined by commas, in the state's order), with its length prefix patched after
 * the entries are written.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class TraceStateWriter implements BiConsumer<String, String> {
  private final EncodeBuffer out;
  private int pos;
  private boolean first;

  public TraceStateWriter(EncodeBuffer out) {
    this.out = out;
  }

  /** Writes {@code tag}, the length and the header string; returns the end. */
  public int write(int pos, byte tag, TraceState traceState) {
    byte[] b = out.ensure(pos, 2);
    b[pos] = tag;
    int start = pos + 2;
    this.pos = start;
    first = true;
    traceState.forEach(this);
    return out.endMessage(start, 1, this.pos);
  }

  @Override
  public void accept(String key, String value) {
    int p = pos;
    if (!first) {
      out.ensure(p, 1)[p++] = ',';
    }
    first = false;
    p = out.writeUtf8(p, key);
    out.ensure(p, 1)[p++] = '=';
    pos = out.writeUtf8(p, value);
  }
}
