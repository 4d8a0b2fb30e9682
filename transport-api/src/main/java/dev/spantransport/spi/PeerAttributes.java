package dev.spantransport.spi;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute keys of a {@link PeerIdentity}: who is on the other end of an accepted connection,
 * as the operating system reports it. A transport sets only the keys its socket type can answer.
 *
 * <table>
 *   <caption>Keys per transport</caption>
 *   <tr><th>Transport</th><th>Keys</th></tr>
 *   <tr><td>vsock</td><td>{@link #TRANSPORT}, {@link #CID}, {@link #PORT}</td></tr>
 *   <tr><td>hvsock, unix</td><td>{@link #TRANSPORT}, {@link #SOCKET_PATH}, and where the OS
 *       gives them {@link #PID}, {@link #UID}, {@link #GID}</td></tr>
 *   <tr><td>tcp</td><td>{@link #TRANSPORT}, {@link #ADDRESS}, {@link #PORT}</td></tr>
 * </table>
 */
public final class PeerAttributes {

  /** The transport's name, e.g. {@code vsock}, {@code hvsock}, {@code unix}, {@code tcp}. */
  public static final AttributeKey<String> TRANSPORT =
      AttributeKey.stringKey("spantransport.peer.transport");

  /** vsock: the peer's context id (CID) from the accepted socket's remote address. */
  public static final AttributeKey<Long> CID = AttributeKey.longKey("spantransport.peer.cid");

  /** vsock and tcp: the peer's port from the accepted socket's remote address. */
  public static final AttributeKey<Long> PORT = AttributeKey.longKey("spantransport.peer.port");

  /**
   * unix and hvsock: the path of the socket the connection was accepted on (the listening path; for
   * hvsock it is {@code <uds_path>_<port>}, which names the VM).
   */
  public static final AttributeKey<String> SOCKET_PATH =
      AttributeKey.stringKey("spantransport.peer.socket_path");

  /**
   * unix and hvsock: the peer process id from {@code SO_PEERCRED} (for hvsock, the VMM process).
   */
  public static final AttributeKey<Long> PID = AttributeKey.longKey("spantransport.peer.pid");

  /** unix and hvsock: the peer's user id from {@code SO_PEERCRED}. */
  public static final AttributeKey<Long> UID = AttributeKey.longKey("spantransport.peer.uid");

  /** unix and hvsock: the peer's group id from {@code SO_PEERCRED}. */
  public static final AttributeKey<Long> GID = AttributeKey.longKey("spantransport.peer.gid");

  /**
   * unix and hvsock, when numeric ids are not available: the peer's user name from {@code
   * SO_PEERCRED}.
   */
  public static final AttributeKey<String> USER = AttributeKey.stringKey("spantransport.peer.user");

  /** tcp: the peer's IP address literal. */
  public static final AttributeKey<String> ADDRESS =
      AttributeKey.stringKey("spantransport.peer.address");

  private PeerAttributes() {}
}
