package dev.spantransport.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.StringJoiner;

/**
 * Finds the {@link SpanTransport} for an endpoint among those on the class path.
 *
 * <p>Transports are loaded once, with {@link ServiceLoader} and this interface's class loader, the
 * first time they are needed.
 */
public final class SpanTransports {

  private SpanTransports() {}

  /**
   * Returns the first loaded transport that supports the endpoint.
   *
   * @param endpoint the endpoint to connect to or listen on
   * @return the transport
   * @throws IllegalArgumentException if no loaded transport supports the endpoint; the message
   *     names the endpoint and the transports that were found
   */
  public static SpanTransport forEndpoint(Endpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    List<SpanTransport> transports = all();
    for (SpanTransport transport : transports) {
      if (transport.supports(endpoint)) {
        return transport;
      }
    }
    StringJoiner names = new StringJoiner(", ", "[", "]");
    transports.forEach(t -> names.add(t.name()));
    throw new IllegalArgumentException(
        "no SpanTransport supports endpoint "
            + endpoint
            + " (loaded transports: "
            + names
            + "; is transport-vsock on the class path?)");
  }

  /**
   * Returns every loaded transport, in class-path order.
   *
   * @return the transports, unmodifiable
   */
  public static List<SpanTransport> all() {
    return Loaded.TRANSPORTS;
  }

  /** Loads the transports on first use (class initialisation is thread-safe and happens once). */
  private static final class Loaded {
    static final List<SpanTransport> TRANSPORTS = load();

    private static List<SpanTransport> load() {
      List<SpanTransport> list = new ArrayList<>();
      for (SpanTransport t :
          ServiceLoader.load(SpanTransport.class, SpanTransport.class.getClassLoader())) {
        list.add(t);
      }
      return Collections.unmodifiableList(list);
    }
  }
}
