package dev.spantransport.forwarder.internal;

import dev.spantransport.sink.SpanBatch;
import dev.spantransport.sink.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands each batch to several sinks and succeeds when all of them did (e.g. OTLP and Zipkin at
 * once), so one {@link CountingSink} can count the whole.
 *
 * <p>This class is internal and may change without notice.
 */
public final class AllSinks implements SpanSink {

  private final List<SpanSink> sinks;

  /**
   * Creates the fan-out.
   *
   * @param sinks the sinks, at least one
   */
  public AllSinks(List<SpanSink> sinks) {
    if (sinks.isEmpty()) {
      throw new IllegalArgumentException("sinks must not be empty: " + sinks);
    }
    this.sinks = List.copyOf(sinks);
  }

  @Override
  public CompletableResultCode accept(SpanBatch batch) {
    List<CompletableResultCode> results = new ArrayList<>(sinks.size());
    for (SpanSink sink : sinks) {
      CompletableResultCode r;
      try {
        r = sink.accept(batch);
      } catch (RuntimeException e) {
        r = CompletableResultCode.ofFailure();
      }
      results.add(r);
    }
    return CompletableResultCode.ofAll(results);
  }

  @Override
  public CompletableResultCode flush() {
    List<CompletableResultCode> results = new ArrayList<>(sinks.size());
    for (SpanSink sink : sinks) {
      results.add(sink.flush());
    }
    return CompletableResultCode.ofAll(results);
  }

  @Override
  public CompletableResultCode shutdown() {
    List<CompletableResultCode> results = new ArrayList<>(sinks.size());
    for (SpanSink sink : sinks) {
      results.add(sink.shutdown());
    }
    return CompletableResultCode.ofAll(results);
  }

  @Override
  public String toString() {
    return "AllSinks" + sinks;
  }
}
