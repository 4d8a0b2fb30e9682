package dev.spantransport.vsock.socket.internal;

import java.io.FileDescriptor;
import org.newsclub.net.unix.AFAddressFamily;
import org.newsclub.net.unix.AFAddressFamilyConfig;
import org.newsclub.net.unix.AFDatagramChannel;
import org.newsclub.net.unix.AFDatagramSocket;
import org.newsclub.net.unix.AFServerSocket;
import org.newsclub.net.unix.AFServerSocketChannel;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.AFSocketCapability;
import org.newsclub.net.unix.AFSocketChannel;
import org.newsclub.net.unix.AFVSOCKSocketAddress;

/**
 * Registers our AF_VSOCK socket classes with junixsocket, once per JVM, and says whether AF_VSOCK
 * can be used on this platform.
 *
 * <p>junixsocket-common knows the AF_VSOCK address format, but the socket classes for it live in
 * the separate junixsocket-vsock artifact, which this project does not use. Our classes in this
 * package take that role: {@link AFAddressFamily#registerAddressFamilyImpl} tells junixsocket how
 * to build them. junixsocket only auto-loads its own upstream provider class, so registration
 * happens here, explicitly, the first time {@link #family()} is called (from any thread; it is
 * synchronised and cached). The configuration must name datagram classes too, even though only
 * stream sockets are used: junixsocket builds file-descriptor casts for all of them during
 * registration. A second registration in the same JVM (e.g. by junixsocket-vsock) fails, so the two
 * must not share a class path.
 *
 * <p>Internal, may change.
 */
public final class VsockFamily {

  private static volatile AFAddressFamily<AFVSOCKSocketAddress> family;
  private static UnsupportedOperationException failure;

  private VsockFamily() {}

  /**
   * Returns the registered AF_VSOCK address family, registering our socket classes on first use.
   *
   * @return the address family
   * @throws UnsupportedOperationException if AF_VSOCK cannot be used here; the message names the
   *     platform and the reason
   */
  public static AFAddressFamily<AFVSOCKSocketAddress> family() {
    AFAddressFamily<AFVSOCKSocketAddress> f = family;
    return f != null ? f : register();
  }

  /**
   * Returns why AF_VSOCK cannot be used on this platform, or null if it can.
   *
   * @return the reason, or null
   */
  public static String unavailableReason() {
    try {
      family();
      return null;
    } catch (UnsupportedOperationException e) {
      return e.getMessage();
    }
  }

  private static synchronized AFAddressFamily<AFVSOCKSocketAddress> register() {
    if (family != null) {
      return family;
    }
    if (failure != null) {
      throw new UnsupportedOperationException(failure.getMessage(), failure.getCause());
    }
    try {
      if (!AFSocket.isSupported()) {
        throw unsupported("junixsocket's native library could not be loaded", null);
      }
      if (!AFSocket.supports(AFSocketCapability.CAPABILITY_VSOCK)) {
        throw unsupported(
            "the kernel or junixsocket's native library has no AF_VSOCK support", null);
      }
      family =
          AFAddressFamily.registerAddressFamilyImpl(
              "vsock", AFVSOCKSocketAddress.addressFamily(), new Config());
      return family;
    } catch (UnsupportedOperationException e) {
      failure = e;
      throw e;
    } catch (IllegalStateException e) {
      failure =
          unsupported(
              "junixsocket's AF_VSOCK family could not be registered ("
                  + e.getMessage()
                  + "); junixsocket-vsock must not be on the same class path",
              e);
      throw failure;
    } catch (RuntimeException | LinkageError e) {
      failure = unsupported("junixsocket failed to initialise: " + e, e);
      throw failure;
    }
  }

  static UnsupportedOperationException unsupported(String reason, Throwable cause) {
    UnsupportedOperationException e =
        new UnsupportedOperationException(
            "AF_VSOCK is not available on this platform (os.name="
                + System.getProperty("os.name")
                + ", os.arch="
                + System.getProperty("os.arch")
                + "): "
                + reason
                + "; the unix, hvsock and tcp transports still work");
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  /** Tells junixsocket which of our classes make AF_VSOCK sockets and channels. */
  private static final class Config extends AFAddressFamilyConfig<AFVSOCKSocketAddress> {
    @Override
    protected Class<? extends AFSocket<AFVSOCKSocketAddress>> socketClass() {
      return VsockSocket.class;
    }

    @Override
    protected AFSocket.Constructor<AFVSOCKSocketAddress> socketConstructor() {
      return VsockSocket::new;
    }

    @Override
    protected Class<? extends AFServerSocket<AFVSOCKSocketAddress>> serverSocketClass() {
      return VsockServerSocket.class;
    }

    @Override
    protected AFServerSocket.Constructor<AFVSOCKSocketAddress> serverSocketConstructor() {
      return VsockServerSocket::new;
    }

    @Override
    protected Class<? extends AFSocketChannel<AFVSOCKSocketAddress>> socketChannelClass() {
      return VsockSocketChannel.class;
    }

    @Override
    protected Class<? extends AFServerSocketChannel<AFVSOCKSocketAddress>>
        serverSocketChannelClass() {
      return VsockServerSocketChannel.class;
    }

    @Override
    protected Class<? extends AFDatagramSocket<AFVSOCKSocketAddress>> datagramSocketClass() {
      return VsockDatagramSocket.class;
    }

    @Override
    protected AFDatagramSocket.Constructor<AFVSOCKSocketAddress> datagramSocketConstructor() {
      return (FileDescriptor fd) -> new VsockDatagramSocket(fd);
    }

    @Override
    protected Class<? extends AFDatagramChannel<AFVSOCKSocketAddress>> datagramChannelClass() {
      return VsockDatagramChannel.class;
    }
  }
}
