package dev.spantransport.tests.adversity;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.spantransport.tests.ReceiverConsole;
import dev.spantransport.vsock.host.SpanReceiver;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * A receiver in its own small-heap JVM for the sustained-load test, its sink a {@link
 * PipelinedLedgerSink} to the test JVM's ledger. Configured by {@code receiver.endpoint}, {@code
 * receiver.ledger} and {@code receiver.maxConnections} (and the usual {@code dev.spantransport.*}
 * properties). Speaks {@link ReceiverConsole}'s protocol; {@code STATS} adds {@code spans} and
 * {@code liveHeapPeak}, the most heap in use right after a full collection (what was live).
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
    ReceiverConsole.serve(
        receiver,
        receiver.toString(),
        stats -> {
          stats.put("spans", sink.spans());
          stats.put("liveHeapPeak", liveHeapPeak.get());
        },
        () -> {});
  }
}
