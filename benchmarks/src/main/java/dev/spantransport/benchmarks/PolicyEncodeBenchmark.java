package dev.spantransport.benchmarks;

import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.vsock.guest.internal.BatchEncoder;
import dev.spantransport.vsock.guest.internal.OtlpBatchEncoder;
import dev.spantransport.vsock.guest.internal.PolicyBatchEncoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a guest-side {@link AttributePolicy} costs the exporter's encoding of one batch of {@link
 * BenchmarkSpans}, as the exporter runs it (policy, then the OTLP encoder). Score is batches per
 * second.
 *
 * <ul>
 *   <li>{@code none}: no policy, the encoder alone.
 *   <li>{@code allow-list}: an allow-list that names every key the spans carry: the cost of
 *       checking (no span is changed, so none is copied).
 *   <li>{@code allow-list-dropping}: an allow-list of a third of the keys: every span is rewritten.
 *   <li>{@code redact-hash}: a deny rule, a redaction and a keyed hash on every span.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyEncodeBenchmark {

  @Param({"none", "allow-list", "allow-list-dropping", "redact-hash"})
  public String policy;

  @Param({"512"})
  public int batchSize;

  private List<SpanData> spans;
  private BatchEncoder encoder;
  private byte[] buffer;

  @Setup
  public void setUp() {
    spans = BenchmarkSpans.spans(batchSize);
    AttributePolicy p =
        switch (policy) {
          case "none" -> AttributePolicy.allowAll();
          case "allow-list" ->
              AttributePolicy.builder()
                  .allowKeys(
                      "http.*",
                      "url.*",
                      "server.*",
                      "network.*",
                      "retry",
                      "app.*",
                      "cache.*",
                      "service.*",
                      "host.*",
                      "telemetry.*",
                      "process.*")
                  .build();
          case "allow-list-dropping" ->
              AttributePolicy.builder().allowKeys("http.*", "service.*", "cache.*").build();
          case "redact-hash" ->
              AttributePolicy.builder()
                  .denyKeys("network.*")
                  .redactKeys("url.full")
                  .hashKeys("benchmark-secret-0123456789".getBytes(), "server.address")
                  .build();
          default -> throw new IllegalArgumentException("unknown policy: " + policy);
        };
    encoder =
        p.isAllowAll() ? new OtlpBatchEncoder() : new PolicyBatchEncoder(new OtlpBatchEncoder(), p);
    buffer = new byte[encoder.prepare(spans) * 2 + 1024];
  }

  @Benchmark
  public int encode() {
    encoder.prepare(spans);
    return encoder.writeTo(buffer, 0);
  }
}
