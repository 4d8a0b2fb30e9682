package dev.spantransport.vsock.guest.internal;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Opens one connection to the host; the seam between the sender loop and a {@code SpanTransport}.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
@FunctionalInterface
public interface ChannelOpener {

  /**
   * Returns a connected channel (blocking mode is fine; the sender switches it to non-blocking),
   * waiting at most {@code timeout}.
   */
  SocketChannel open(Duration timeout) throws IOException;
}
