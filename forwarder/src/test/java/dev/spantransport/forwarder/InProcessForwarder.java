package dev.spantransport.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The forwarder CLI running in-process on a background thread, its output captured. */
final class InProcessForwarder {

  private static final long WAIT_SECONDS = 20;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final CompletableFuture<Integer> exit;
  private final Forwarder forwarder;

  private InProcessForwarder(String... args) {
    CompletableFuture<Forwarder> started = new CompletableFuture<>();
    exit = new CompletableFuture<>();
    // A thread of its own: Forwarder.run blocks until stopped, and on the common pool it would
    // starve everything else that runs there.
    Thread runner =
        new Thread(
            () -> {
              try {
                exit.complete(
                    Forwarder.run(
                        args,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8),
                        started::complete));
              } catch (Throwable t) {
                exit.completeExceptionally(t);
              }
            },
            "in-process-forwarder");
    runner.setDaemon(true);
    runner.start();
    try {
      CompletableFuture.anyOf(started, exit).get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("forwarder did not start: " + err(), e);
    }
    forwarder = started.getNow(null);
    assertNotNull(forwarder, "forwarder exited at start: " + err());
  }

  /** Starts the forwarder with {@code args} and waits until it serves. */
  static InProcessForwarder start(String... args) {
    return new InProcessForwarder(args);
  }

  Forwarder forwarder() {
    return forwarder;
  }

  /** Waits (bounded) until the forwarder has accepted {@code spans} spans, then asserts it. */
  void awaitAccepted(long spans) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (forwarder.spansAccepted() < spans && System.nanoTime() < deadline) {
      Thread.sleep(20); // polling a counter with a deadline; the assertion is on the count
    }
    assertEquals(spans, forwarder.spansAccepted(), forwarder.summary());
  }

  /** Closes the forwarder and returns its exit code. */
  int stop() throws Exception {
    forwarder.close();
    return exit.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
