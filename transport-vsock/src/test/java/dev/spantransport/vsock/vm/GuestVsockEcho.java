package dev.spantransport.vsock.vm;

import dev.spantransport.spi.Endpoint;
import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.SpanTransport;
import dev.spantransport.spi.SpanTransports;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs inside the guest VM only ({@link GuestOnly}): listens on {@code vsock://any:PORT} through
 * the SPI with a non-blocking selector loop, connects a client to {@code vsock://1:PORT}
 * (VMADDR_CID_LOCAL, carried by vsock_loopback), sends a seeded payload, echoes it back, and prints
 * one result line on the console:
 *
 * <pre>SPANTRANSPORT-RESULT status=ok bytes=N sha256=HEX echoed=true peerCid=1 peerPort=P ...</pre>
 *
 * <p>Arguments: PORT BYTES.
 */
public final class GuestVsockEcho {

  /** The prefix of the result line the host test reads from the serial console. */
  public static final String RESULT = "SPANTRANSPORT-RESULT";

  private static final long WAIT_NANOS = Duration.ofSeconds(60).toNanos();

  private GuestVsockEcho() {}

  /**
   * The payload both sides agree on.
   *
   * @param size its length
   * @return the bytes
   */
  public static byte[] payload(int size) {
    byte[] b = new byte[size];
    new Random(0x5354_0001L).nextBytes(b);
    return b;
  }

  /**
   * Hex SHA-256 of the bytes.
   *
   * @param bytes input
   * @return lower-case hex digest
   */
  public static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  public static void main(String[] args) throws Exception {
    GuestOnly.run(RESULT, () -> run(Long.parseLong(args[0]), Integer.parseInt(args[1])));
  }

  private static void run(long port, int size) throws Exception {
    Endpoint listenOn = Endpoint.parse("vsock://any:" + port);
    Endpoint connectTo = Endpoint.parse("vsock://1:" + port);
    SpanTransport transport = SpanTransports.forEndpoint(listenOn);
    byte[] payload = payload(size);
    AtomicReference<Object> clientResult = new AtomicReference<>();

    try (ServerSocketChannel server = transport.listen(listenOn);
        Selector selector = server.provider().openSelector()) {
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);

      Thread client =
          new Thread(
              () -> {
                try (SocketChannel c = transport.connect(connectTo, Duration.ofSeconds(10))) {
                  ByteBuffer out = ByteBuffer.wrap(payload);
                  while (out.hasRemaining()) {
                    c.write(out);
                  }
                  ByteBuffer in = ByteBuffer.allocate(size);
                  while (in.hasRemaining() && c.read(in) >= 0) {
                    // keep reading the echo
                  }
                  clientResult.set(Arrays.equals(payload, in.array()));
                } catch (Throwable t) {
                  clientResult.set(t);
                }
              },
              "vsock-client");
      client.start();

      SocketChannel accepted = null;
      ByteBuffer received = ByteBuffer.allocate(size);
      long deadline = System.nanoTime() + WAIT_NANOS;
      while (received.hasRemaining() && System.nanoTime() < deadline) {
        selector.select(1000);
        selector.selectedKeys().clear();
        if (accepted == null) {
          accepted = server.accept();
          if (accepted != null) {
            accepted.configureBlocking(false);
            accepted.register(selector, SelectionKey.OP_READ);
          }
        } else if (accepted.read(received) < 0) {
          break;
        }
      }
      if (accepted == null) {
        throw new IllegalStateException("no connection accepted on " + listenOn);
      }
      PeerIdentity peer = transport.peerIdentity(accepted, listenOn);

      // Echo back, non-blocking, waiting for OP_WRITE when the socket buffer is full.
      accepted.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
      ByteBuffer echo = ByteBuffer.wrap(received.array(), 0, received.position());
      while (echo.hasRemaining() && System.nanoTime() < deadline) {
        if (accepted.write(echo) == 0) {
          selector.select(1000);
          selector.selectedKeys().clear();
        }
      }
      client.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      accepted.close();

      Object c = clientResult.get();
      if (c instanceof Throwable) {
        throw new IllegalStateException("client failed", (Throwable) c);
      }
      byte[] got = Arrays.copyOf(received.array(), received.position());
      System.out.println(
          RESULT
              + " status=ok"
              + " bytes="
              + got.length
              + " sha256="
              + sha256(got)
              + " echoed="
              + Boolean.TRUE.equals(c)
              + " transport="
              + peer.transport()
              + " peerCid="
              + peer.attributes().get(PeerAttributes.CID)
              + " peerPort="
              + peer.attributes().get(PeerAttributes.PORT)
              + " jvmUptimeMs="
              + ManagementFactory.getRuntimeMXBean().getUptime());
      System.out.flush();
    }
  }
}
