package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * Small checks and error wording shared by our {@link SpanTransport}s.
 *
 * <p>Internal, may change.
 */
final class Transports {

  /**
   * Listen backlog for every transport: enough for many guests connecting at once (the kernel caps
   * it at {@code net.core.somaxconn}).
   */
  static final int BACKLOG = 1024;

  private Transports() {}

  static <T extends Endpoint> T require(SpanTransport transport, Endpoint endpoint, Class<T> type) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (!type.isInstance(endpoint)) {
      throw new IllegalArgumentException(
          "the " + transport.name() + " transport does not support endpoint " + endpoint);
    }
    return type.cast(endpoint);
  }

  /** Returns the timeout in milliseconds for socket APIs, at least 1 (0 would mean "forever"). */
  static int timeoutMillis(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("connect timeout must be positive: " + timeout);
    }
    long millis = Math.max(1, timeout.toMillis());
    return (int) Math.min(Integer.MAX_VALUE, millis);
  }

  static IOException failed(String action, Endpoint endpoint, IOException cause) {
    return new IOException(action + " " + endpoint + ": " + cause.getMessage(), cause);
  }

  /** One I/O step on a resource that has just been opened, such as a connect or a bind. */
  @FunctionalInterface
  interface Step<C> {
    void run(C resource) throws IOException;
  }

  /**
   * Runs {@code step} on the just-opened {@code resource} and returns it. If the step fails the
   * resource is closed; an {@link IOException} is rethrown naming {@code action} and the endpoint
   * (see {@link #failed}), a runtime exception as it is.
   */
  static <C extends Closeable> C openedOrClosed(
      C resource, String action, Endpoint endpoint, Step<? super C> step) throws IOException {
    try {
      step.run(resource);
      return resource;
    } catch (IOException ex) {
      resource.close();
      throw failed(action, endpoint, ex);
    } catch (RuntimeException ex) {
      resource.close();
      throw ex;
    }
  }
}
