package dev.spantransport.vsock.socket.internal;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.vsock.socket.SocketFiles;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * Unix domain socket listening and connecting, shared by the unix and hvsock transports.
 *
 * <p>Two implementations, chosen once per transport instance:
 *
 * <ul>
 *   <li>{@link Impl#JDK} (the default, JDK 16+ Unix channels, no native code): selected with the
 *       JDK's epoll selector, which scales to thousands of guests; the peer identity carries the
 *       peer's user name only (the JDK exposes {@code SO_PEERCRED} as user and group principals,
 *       without pid or numeric ids).
 *   <li>{@link Impl#JUNIXSOCKET} (opt-in with the system property {@value #IMPL_PROPERTY}{@code
 *       =junixsocket}, when junixsocket's native library loads): the peer identity carries the
 *       peer's pid, uid and gid from {@code SO_PEERCRED}, but junixsocket's selector polls every
 *       registered channel on each wake-up, so it suits tens of guests rather than thousands.
 * </ul>
 *
 * <p>Listening on a path that exists: if it is a socket that refuses connections (its listener
 * died), it is deleted and the path reused; if something accepts on it, listening fails and the
 * live socket is left alone; if it cannot be probed (e.g. permission denied) or is not a socket,
 * listening fails and nothing is deleted. The new socket file appears at the path with its final
 * permissions ({@link SocketFiles#OWNER_ONLY} unless the caller asks for others), never with the
 * umask's: see {@link #listen(Impl, Path, Endpoint, Set)}. With either implementation the socket
 * file stays after the channel is closed: its owner deletes it, or the next listen on the path
 * removes it as stale.
 *
 * <p>Internal, may change.
 */
final class UnixSockets {

  /**
   * System property selecting the Unix socket implementation: {@code jdk} or {@code junixsocket}.
   */
  static final String IMPL_PROPERTY = "dev.spantransport.unix.impl";

  /** Which Unix socket implementation a transport uses. */
  enum Impl {
    /** junixsocket's AF_UNIX channels: pid/uid/gid peer credentials. */
    JUNIXSOCKET,
    /** The JDK's Unix domain channels: peer user name only. */
    JDK;

    /**
     * The JDK, unless {@value #IMPL_PROPERTY} asks for junixsocket and its native library loads.
     */
    static Impl preferred() {
      if (!"junixsocket".equals(System.getProperty(IMPL_PROPERTY))) {
        return JDK;
      }
      try {
        return AFSocket.isSupported() ? JUNIXSOCKET : JDK;
      } catch (RuntimeException | LinkageError e) {
        return JDK;
      }
    }
  }

  /** {@code S_IFMT} and {@code S_IFSOCK} from {@code <sys/stat.h>}. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFSOCK = 0140000;

  private UnixSockets() {}

  static ServerSocketChannel listen(Impl impl, Path path, Endpoint endpoint) throws IOException {
    return listen(impl, path, endpoint, SocketFiles.OWNER_ONLY);
  }

  /**
   * Listens on {@code path} so that the socket file never exists there with other permissions than
   * {@code permissions}: the socket is bound inside a fresh directory next to {@code path} that
   * only the owner may enter ({@code rwx------}, created with that mode; see {@link
   * #stagingDirectory}), given its permissions there, and only then linked to {@code path}. The
   * link fails, rather than replace anything, if the path was taken in the meantime. A connection
   * can therefore only reach the socket through a file that already has its final permissions.
   *
   * <p>With the JDK's channels the staging directory is removed at once. junixsocket checks on each
   * accept that the address it bound still names its socket, so with junixsocket the staged name
   * stays inside the owner-only directory while the listener is open and is deleted on close; the
   * empty directory is removed by {@link #deleteSocketFile} or by the next listen on the path.
   */
  static ServerSocketChannel listen(
      Impl impl, Path path, Endpoint endpoint, Set<PosixFilePermission> permissions)
      throws IOException {
    removeStaleSocket(path, endpoint);
    Path staging = stagingDirectory(path);
    try {
      Files.createDirectory(
          staging,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw Transports.failed("cannot listen on", endpoint, e);
    }
    Path staged = staging.resolve("s");
    boolean keepStaged = false;
    ServerSocketChannel channel =
        impl == Impl.JUNIXSOCKET
            ? AFUNIXServerSocketChannel.open()
            : ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      if (channel instanceof AFUNIXServerSocketChannel) {
        AFUNIXServerSocketChannel c = (AFUNIXServerSocketChannel) channel;
        c.bind(AFUNIXSocketAddress.of(staged), Transports.BACKLOG);
        c.setDeleteOnClose(true); // the staged name only; the listener's owner deletes the file
      } else {
        channel.bind(UnixDomainSocketAddress.of(staged), Transports.BACKLOG);
      }
      try {
        Files.setPosixFilePermissions(staged, permissions);
      } catch (IOException | RuntimeException e) {
        throw new IOException(
            "cannot set permissions " + PosixFilePermissions.toString(permissions) + ": " + e, e);
      }
      try {
        Files.createLink(path, staged);
      } catch (FileAlreadyExistsException e) {
        throw new IOException(
            "another process created " + path + " while this listener was being set up", e);
      }
      keepStaged = impl == Impl.JUNIXSOCKET;
    } catch (IOException e) {
      channel.close();
      throw Transports.failed("cannot listen on", endpoint, e);
    } catch (RuntimeException e) {
      channel.close();
      throw e;
    } finally {
      if (!keepStaged) {
        Files.deleteIfExists(staged);
        Files.deleteIfExists(staging);
      }
    }
    return channel;
  }

  /**
   * Returns the owner-only directory in which the socket for {@code path} is bound before it is
   * linked into place: {@code .<name>.listen} beside it.
   */
  static Path stagingDirectory(Path path) {
    Path absolute = path.toAbsolutePath();
    return absolute.resolveSibling("." + absolute.getFileName() + ".listen");
  }

  /**
   * Deletes a listener's socket file and what is left of its staging directory.
   *
   * @param path the socket file
   * @throws IOException if they exist and cannot be deleted
   */
  static void deleteSocketFile(Path path) throws IOException {
    Files.deleteIfExists(path);
    Path staging = stagingDirectory(path);
    Files.deleteIfExists(staging.resolve("s"));
    Files.deleteIfExists(staging);
  }

  static SocketChannel connect(Impl impl, Path path, Endpoint endpoint, int timeoutMillis)
      throws IOException {
    try {
      if (impl == Impl.JUNIXSOCKET) {
        AFUNIXSocket socket = AFUNIXSocket.newInstance();
        try {
          socket.connect(AFUNIXSocketAddress.of(path), timeoutMillis);
          return socket.getChannel();
        } catch (IOException | RuntimeException e) {
          socket.close();
          throw e;
        }
      }
      return connectJdk(path, timeoutMillis);
    } catch (IOException e) {
      throw Transports.failed("cannot connect to", endpoint, e);
    }
  }

  /** A non-blocking connect bounded by a selector wait; the returned channel is blocking. */
  private static SocketChannel connectJdk(Path path, int timeoutMillis) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.configureBlocking(false);
      if (!channel.connect(UnixDomainSocketAddress.of(path))) {
        try (Selector selector = channel.provider().openSelector()) {
          channel.register(selector, SelectionKey.OP_CONNECT);
          if (selector.select(timeoutMillis) == 0) {
            throw new SocketTimeoutException("connect timed out after " + timeoutMillis + " ms");
          }
          channel.finishConnect();
        }
      }
      channel.configureBlocking(true);
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  static Attributes peerAttributes(SocketChannel accepted, Path listenPath) throws IOException {
    AttributesBuilder b =
        Attributes.builder().put(PeerAttributes.SOCKET_PATH, listenPath.toString());
    if (accepted instanceof AFUNIXSocketChannel) {
      AFUNIXSocketCredentials c = ((AFUNIXSocketChannel) accepted).getPeerCredentials();
      if (c != null) {
        if (c.getPid() >= 0) {
          b.put(PeerAttributes.PID, c.getPid());
        }
        if (c.getUid() >= 0) {
          b.put(PeerAttributes.UID, c.getUid());
        }
        if (c.getGid() >= 0) {
          b.put(PeerAttributes.GID, c.getGid());
        }
      }
    } else if (accepted.supportedOptions().contains(ExtendedSocketOptions.SO_PEERCRED)) {
      UnixDomainPrincipal p = accepted.getOption(ExtendedSocketOptions.SO_PEERCRED);
      if (p != null) {
        b.put(PeerAttributes.USER, p.user().getName());
      }
    }
    return b.build();
  }

  /**
   * Makes room for a new listener at {@code path}, the one stale-socket routine of this project:
   * nothing there is fine; a socket whose connect is refused ({@code ECONNREFUSED}: the listener
   * that made it is gone) is deleted; a live socket, a socket that cannot be probed (permission
   * denied, or any other error) and anything that is not a socket are left untouched and fail the
   * listen with a message that says which.
   */
  static void removeStaleSocket(Path path, Endpoint endpoint) throws IOException {
    Path staging = stagingDirectory(path);
    if (Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
      // Left by a listener that died: its staged name is checked like the socket file itself.
      removeStaleFile(staging.resolve("s"), endpoint);
      try {
        Files.deleteIfExists(staging);
      } catch (DirectoryNotEmptyException e) {
        throw new IOException(
            "cannot listen on "
                + endpoint
                + ": "
                + staging
                + " holds unexpected files (it is left untouched)",
            e);
      }
    }
    removeStaleFile(path, endpoint);
  }

  private static void removeStaleFile(Path path, Endpoint endpoint) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!isSocket(path)) {
      throw new IOException(
          "cannot listen on "
              + endpoint
              + ": "
              + path
              + " exists and is not a socket (it is left untouched)");
    }
    boolean live;
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      live = probe.isConnected();
    } catch (ConnectException refused) {
      // The JDK reports ECONNREFUSED (and only it, for a Unix socket) as ConnectException.
      live = false;
    } catch (IOException e) {
      throw new IOException(
          "cannot listen on "
              + endpoint
              + ": cannot check whether "
              + path
              + " is in use ("
              + e.getMessage()
              + "); it is left untouched",
          e);
    }
    if (live) {
      throw new IOException(
          "cannot listen on "
              + endpoint
              + ": another process is accepting connections on "
              + path
              + " (it is left untouched)");
    }
    Files.deleteIfExists(path);
  }

  private static boolean isSocket(Path path) throws IOException {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return (mode & S_IFMT) == S_IFSOCK;
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // No "unix" attribute view: a socket is neither file, directory nor link.
      return Files.readAttributes(
              path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isOther();
    }
  }
}
