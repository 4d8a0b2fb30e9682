package dev.spantransport.tests;

import dev.spantransport.vsock.guest.VsockSpanExporter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A guest in its own JVM for lifecycle tests: exports {@code guest.spans} numbered spans in batches
 * of {@code guest.batch}, one batch every {@code guest.pause.ms}, printing {@code SENT n} after
 * each, then flushes and prints {@code DONE exported=.. flushed=.. state=.. acked=.. dropped=..
 * reconnects=..}, and waits for {@code exit} on stdin. Short timeouts, so that a freeze outlasts
 * every one of them.
 */
public final class LifecycleGuest {

  private LifecycleGuest() {}

  public static void main(String[] args) throws Exception {
    int spans = Integer.getInteger("guest.spans", 20_000);
    int batch = Integer.getInteger("guest.batch", 100);
    long pauseMillis = Long.getLong("guest.pause.ms", 2);
    Guests guest =
        new Guests(
            VsockSpanExporter.builder()
                .setEndpoint(System.getProperty("guest.endpoint"))
                .setTimeout(Duration.ofSeconds(1))
                .setConnectTimeout(Duration.ofSeconds(1))
                .setReconnectInitialBackoff(Duration.ofMillis(20))
                .setReconnectMaxBackoff(Duration.ofMillis(200))
                .setMaxInflightBatches(4096)
                .setMaxInflightBytes(256L * 1024 * 1024));
    VsockSpanExporter exporter = guest.exporter;
    System.out.println("STARTED");
    System.out.flush();
    for (int i = 0; i < spans; i += batch) {
      exporter.export(TestSpans.batch(i, Math.min(batch, spans - i)));
      System.out.println("SENT " + Math.min(spans, i + batch));
      System.out.flush();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(pauseMillis));
    }
    boolean flushed = false;
    for (int attempt = 0; attempt < 60 && !flushed; attempt++) {
      flushed = exporter.flush().join(10, TimeUnit.SECONDS).isSuccess();
    }
    System.out.println(
        "DONE exported="
            + spans
            + " flushed="
            + flushed
            + " state="
            + exporter.state()
            + " acked="
            + guest.acked()
            + " dropped="
            + guest.dropped()
            + " reconnects="
            + guest.metric("spantransport.exporter.reconnects"));
    System.out.flush();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.equals("exit")) {
        // wait for the test
      }
    }
    guest.close();
  }
}
