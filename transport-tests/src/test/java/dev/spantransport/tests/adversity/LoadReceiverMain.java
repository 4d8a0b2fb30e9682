package dev.spantransport.tests.adversity;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.spantransport.vsock.host.SpanReceiver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * A receiver in its own small-heap JVM for the sustained-load test, its sink a {@link
 * PipelinedLedgerSink} to the test JVM's ledger. Configured by {@code receiver.endpoint}, {@code
 * receiver.ledger} and {@code receiver.maxConnections} (and the usual {@code dev.spantransport.*}
 * properties). Prints {@code READY} once listening; on {@code stats} prints {@code STATS
 * connections=.. bufferedBytes=.. spans=.. heapUsed=.. heapPeak=.. liveHeapPeak=.. heapMax=..}: the
 * heap pools' current and peak use (garbage included) and the most heap in use right after a
 * collection (what was live); on {@code exit} (or end of stdin) it stops.
 */
public final class LoadReceiverMain {

  private LoadReceiverMain() {}

  /** The most heap found in use just after a full collection: the peak of what was live. */
  private static final AtomicLong liveHeapPeak = new AtomicLong();

  private static void watchCollections() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (!(gc instanceof NotificationEmitter emitter)) {
        continue;
      }
      emitter.addNotificationListener(
          (notification, handback) -> {
            if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                notification.getType())) {
              return;
            }
            GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            long used = 0;
            for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
              used += u.getUsed();
            }
            if (info.getGcAction().contains("major")) {
              liveHeapPeak.accumulateAndGet(used, Math::max); // old garbage collected too
            }
          },
          null,
          null);
    }
  }

  public static void main(String[] args) throws Exception {
    watchCollections();
    PipelinedLedgerSink sink =
        new PipelinedLedgerSink(Path.of(System.getProperty("receiver.ledger")), 4);
    int maxConnections = Integer.getInteger("receiver.maxConnections", 4096);
    // The test's guests stand for thousands of VMs but share one Unix uid, the peer the per-peer
    // caps count by; give that one peer the whole receiver.
    SpanReceiver receiver =
        SpanReceiver.builder()
            .addEndpoint(System.getProperty("receiver.endpoint"))
            .addSink(sink)
            .setMaxConnections(maxConnections)
            .setMaxConnectionsPerPeer(maxConnections)
            .setPeerReceiveBufferBudget(128L << 20)
            .setShutdownTimeout(Duration.ofSeconds(2))
            .build();
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      System.out.println("FAILED to start " + receiver);
      System.exit(2);
    }
    System.out.println("READY " + receiver);
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("stats") || line.equals("gc-stats")) {
        if (line.equals("gc-stats")) {
          System.gc(); // a full collection now: what is in use after it is live
        }
        long heapPeak = 0;
        long heapUsed = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            heapPeak += pool.getPeakUsage().getUsed();
            heapUsed += pool.getUsage().getUsed();
          }
        }
        System.out.println(
            "STATS connections="
                + receiver.connectionCount()
                + " bufferedBytes="
                + receiver.bufferedBytes()
                + " spans="
                + sink.spans()
                + " heapUsed="
                + heapUsed
                + " heapPeak="
                + heapPeak
                + " liveHeapPeak="
                + liveHeapPeak.get()
                + " heapMax="
                + Runtime.getRuntime().maxMemory());
        System.out.flush();
      } else if (line.equals("exit")) {
        break;
      }
    }
    receiver.close();
    System.exit(0);
  }
}
