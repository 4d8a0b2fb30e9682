package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.SpanTransport;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * A {@link SpanTransport} whose listeners are socket files (unix and hybrid vsock), able to create
 * the file with the permissions it must have, so that it is never reachable with looser ones.
 *
 * <p>Internal, may change.
 */
public interface SocketFileTransport extends SpanTransport {

  /**
   * Like {@link #listen(Endpoint)}, but the socket file appears with {@code permissions} instead of
   * the default owner-only ones; see {@link UnixSockets}.
   *
   * @param endpoint where to listen; must be supported
   * @param permissions the socket file's permissions
   * @return the listening channel
   * @throws IOException if the listener cannot be opened; the message names the endpoint
   */
  ServerSocketChannel listen(Endpoint endpoint, Set<PosixFilePermission> permissions)
      throws IOException;

  /**
   * Deletes the socket file of a listener this transport opened on {@code endpoint}, and what is
   * left of the directory it was bound in. Call after closing the listener.
   *
   * @param endpoint the endpoint the listener was opened on
   * @throws IOException if a file exists and cannot be deleted
   */
  void deleteSocketFile(Endpoint endpoint) throws IOException;
}
