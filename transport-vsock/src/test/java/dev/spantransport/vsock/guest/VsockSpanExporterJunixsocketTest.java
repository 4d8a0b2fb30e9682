package dev.spantransport.vsock.guest;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * Every exporter test again, with the exporter on junixsocket's channels and hence its poll-based
 * selector, the one real AF_VSOCK channels always use. That selector differs from the JDK's: a
 * hung-up channel's key turns invalid instead of being reported readable.
 */
class VsockSpanExporterJunixsocketTest extends VsockSpanExporterTest {

  @Override
  SocketChannel connect(Path path) throws IOException {
    return AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path));
  }
}
