package dev.spantransport.benchmarks;

import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.vsock.guest.internal.BatchEncoder;
import dev.spantransport.vsock.guest.internal.OtlpBatchEncoder;
import dev.spantransport.vsock.guest.internal.PolicyBatchEncoder;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.List;

/**
 * A noise-robust cross-check of {@link PolicyEncodeBenchmark} (see {@link PairedEncodeCheck} for
 * the method): the exporter's encoding with no policy, then with an allow-list naming every key the
 * spans carry, timed by thread CPU time in alternating rounds; the ratio column is no-policy/this,
 * so 0.90 means the policy costs 10 %.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.PairedPolicyCheck \
 *     [batchSize=512] [rounds=40] [msPerRound=100]
 * </pre>
 */
public final class PairedPolicyCheck {
  private static final String[] CONTENDERS = {"none", "allow-list"};

  private static volatile int sink;

  private PairedPolicyCheck() {}

  public static void main(String[] args) throws IOException {
    PairedCheck check = new PairedCheck(args);
    List<SpanData> spans = BenchmarkSpans.spans(check.batchSize);
    BatchEncoder none = new OtlpBatchEncoder();
    BatchEncoder allowList =
        new PolicyBatchEncoder(
            new OtlpBatchEncoder(),
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
                .build());
    int length = none.prepare(spans);
    byte[] buffer = new byte[length * 2 + 1024];
    check.run(
        CONTENDERS,
        "none/this",
        length,
        name -> {
          BatchEncoder encoder = name.equals("none") ? none : allowList;
          encoder.prepare(spans);
          int written = encoder.writeTo(buffer, 0);
          if (written != length) {
            throw new IllegalStateException(name + " wrote " + written + " bytes, not " + length);
          }
          sink = written;
        });
  }
}
