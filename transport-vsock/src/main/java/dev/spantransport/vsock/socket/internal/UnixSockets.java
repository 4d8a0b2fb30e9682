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
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
 *   <li>{@link Impl#JUNIXSOCKET} (the default when junixsocket's native library loads): the
 *       listener deletes its socket file on close, and the peer identity carries the peer's pid,
 *       uid and gid from {@code SO_PEERCRED}.
 *   <li>{@link Impl#JDK} (fallback, JDK 16+ Unix channels, no native code): the peer identity
 *       carries the peer's user name only (the JDK exposes {@code SO_PEERCRED} as user and group
 *       principals, without pid or numeric ids), and the socket file stays after close; the next
 *       listen on the path removes it as stale.
 * </ul>
 *
 * <p>Listening on a path that exists: if it is a socket that refuses connections (its listener
 * died), it is deleted and the path reused; if something accepts on it, listening fails and the
 * live socket is left alone; if it is not a socket, listening fails and nothing is deleted. The new
 * socket file gets {@link SocketFiles#OWNER_ONLY} permissions; callers may widen them with {@link
 * SocketFiles#setPermissions}.
 *
 * <p>Internal, may change.
 */
final class UnixSockets {

  /** Which Unix socket implementation a transport uses. */
  enum Impl {
    /** junixsocket's AF_UNIX channels: pid/uid/gid peer credentials, delete on close. */
    JUNIXSOCKET,
    /** The JDK's Unix domain channels: peer user name only, file left after close. */
    JDK;

    /** junixsocket when its native library loads here, otherwise the JDK. */
    static Impl preferred() {
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
    removeStaleSocket(path, endpoint);
    ServerSocketChannel channel =
        impl == Impl.JUNIXSOCKET
            ? AFUNIXServerSocketChannel.open()
            : ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      if (channel instanceof AFUNIXServerSocketChannel) {
        AFUNIXServerSocketChannel c = (AFUNIXServerSocketChannel) channel;
        c.bind(AFUNIXSocketAddress.of(path), Transports.BACKLOG);
        c.setDeleteOnClose(true);
      } else {
        channel.bind(UnixDomainSocketAddress.of(path), Transports.BACKLOG);
      }
    } catch (IOException e) {
      channel.close();
      throw Transports.failed("cannot listen on", endpoint, e);
    } catch (RuntimeException e) {
      channel.close();
      throw e;
    }
    try {
      SocketFiles.setPermissions(path, SocketFiles.OWNER_ONLY);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw new IOException(
          "cannot restrict permissions of " + path + " for " + endpoint + ": " + e.getMessage(), e);
    }
    return channel;
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
   * Makes room for a new listener at {@code path}: deletes a dead socket file, refuses to touch a
   * live socket or anything that is not a socket.
   */
  static void removeStaleSocket(Path path, Endpoint endpoint) throws IOException {
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
      live = false; // nobody accepts on it: the listener that made it is gone
    } catch (IOException e) {
      throw new IOException(
          "cannot listen on "
              + endpoint
              + ": cannot check whether "
              + path
              + " is in use: "
              + e.getMessage(),
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
