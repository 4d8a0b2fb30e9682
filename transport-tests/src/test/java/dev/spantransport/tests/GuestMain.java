package dev.spantransport.tests;

import dev.spantransport.vsock.guest.VsockSpanExporter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A guest in its own JVM that streams numbered spans ({@code guest.first} upwards, batches of
 * {@code guest.batch}) to {@code guest.endpoint} until it is killed. Prints {@code STARTED}.
 */
public final class GuestMain {

  private GuestMain() {}

  public static void main(String[] args) {
    VsockSpanExporter exporter =
        VsockSpanExporter.builder()
            .setEndpoint(System.getProperty("guest.endpoint"))
            .setReconnectInitialBackoff(Duration.ofMillis(20))
            .setReconnectMaxBackoff(Duration.ofMillis(200))
            .build();
    long first = Long.getLong("guest.first", 0);
    int batch = Integer.getInteger("guest.batch", 100);
    System.out.println("STARTED");
    System.out.flush();
    for (long i = first; ; i += batch) {
      exporter.export(TestSpans.batch(i, batch));
      exporter.flush().join(10, TimeUnit.SECONDS);
    }
  }
}
