package dev.spantransport.forwarder.internal;

import io.jaegertracing.agent.thrift.Agent;
import io.jaegertracing.thriftjava.Batch;
import java.io.Closeable;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.transport.TMemoryInputTransport;

/**
 * A Jaeger agent's UDP endpoint on loopback for tests: each datagram is decoded as a thrift-compact
 * {@code Agent.emitBatch} message through the generated {@link Agent.Processor}, as the agent does.
 */
public final class UdpJaegerAgent implements Closeable {

  private final DatagramSocket socket;
  private final List<Batch> batches = new ArrayList<>();
  private final List<Integer> datagramSizes = new ArrayList<>();

  /** Binds 127.0.0.1 on a free port. */
  public UdpJaegerAgent() throws Exception {
    socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    socket.setReceiveBufferSize(4 * 1024 * 1024);
  }

  /** Returns the UDP port. */
  public int port() {
    return socket.getLocalPort();
  }

  /**
   * Receives and decodes datagrams until {@code spans} spans arrived in total, or nothing arrives
   * for {@code timeoutMillis}.
   *
   * @return every batch decoded so far
   */
  public List<Batch> awaitSpans(int spans, int timeoutMillis) throws Exception {
    socket.setSoTimeout(timeoutMillis);
    byte[] buffer = new byte[65_536];
    while (spanCount() < spans) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
      } catch (SocketTimeoutException e) {
        break;
      }
      datagramSizes.add(packet.getLength());
      TCompactProtocol in =
          new TCompactProtocol(
              new TMemoryInputTransport(packet.getData(), packet.getOffset(), packet.getLength()));
      new Agent.Processor<>(
              new Agent.Iface() {
                @Override
                public void emitZipkinBatch(List<com.twitter.zipkin.thriftjava.Span> spans) {
                  throw new AssertionError("emitZipkinBatch: only emitBatch is expected");
                }

                @Override
                public void emitBatch(Batch batch) {
                  batches.add(batch);
                }
              })
          .process(in, in);
    }
    return List.copyOf(batches);
  }

  /** Returns the spans decoded so far. */
  public int spanCount() {
    return batches.stream().mapToInt(Batch::getSpansSize).sum();
  }

  /** Returns the payload size of every datagram received. */
  public List<Integer> datagramSizes() {
    return List.copyOf(datagramSizes);
  }

  @Override
  public void close() {
    socket.close();
  }
}
