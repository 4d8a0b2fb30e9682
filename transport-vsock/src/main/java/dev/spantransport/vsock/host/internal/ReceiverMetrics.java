package dev.spantransport.vsock.host.internal;

import dev.spantransport.spi.PeerAttributes;
import dev.spantransport.spi.PeerIdentity;
import dev.spantransport.spi.Signal;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import java.util.Collection;

/**
 * The receiver's self-metrics, recorded through the OpenTelemetry metrics API (no-op unless a
 * {@link MeterProvider} is configured). Per-guest attributes are the peer's transport plus its CID
 * or socket path, computed once per connection.
 *
 * <p>Instruments (meter {@code dev.spantransport.receiver}): {@code spantransport.receiver.
 * connections} (up-down), {@code .batches} (of every signal), {@code .spans}, {@code .log_records},
 * {@code .metric_points}, {@code .acked} (batches), {@code .duplicates} (batches), {@code
 * .rejected} (with {@code reason}), {@code .refused} (connections closed on accept, with {@code
 * reason} {@code max_connections} or {@code peer_connections} and the peer's transport), {@code
 * .sink.duration} (seconds), {@code .stripped} (payload attributes under {@code
 * spantransport.peer.} removed) and {@code .limited} (items removed or values cut over the span
 * limits, with {@code kind}: {@code attributes}, {@code events}, {@code links}, {@code values}).
 *
 * <p>This class is internal and may change without notice.
 */
public final class ReceiverMetrics {

  static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");
  static final AttributeKey<String> KIND = AttributeKey.stringKey("kind");
  static final String LIMITED_ATTRIBUTES = "attributes";
  static final String LIMITED_EVENTS = "events";
  static final String LIMITED_LINKS = "links";
  static final String LIMITED_VALUES = "values";
  private static final AttributeKey<String> TRANSPORT = PeerAttributes.TRANSPORT;
  private static final AttributeKey<Long> CID = PeerAttributes.CID;
  private static final AttributeKey<String> SOCKET_PATH = PeerAttributes.SOCKET_PATH;

  private final LongUpDownCounter connections;
  private final LongCounter batches;
  private final LongCounter spans;
  private final LongCounter logRecords;
  private final LongCounter dataPoints;
  private final LongCounter acked;
  private final LongCounter duplicates;
  private final LongCounter rejected;
  private final LongCounter refused;
  private final DoubleHistogram sinkDuration;
  private final LongCounter stripped;
  private final LongCounter limited;

  private final Meter meter;

  /**
   * Records, per connected guest (its identity attributes), its batches not yet acknowledged
   * ({@code spantransport.receiver.guest.unacked}) and the seconds since its last batch, or since
   * it connected ({@code spantransport.receiver.guest.idle}).
   */
  void observeGuests(Collection<Connection> live) {
    meter
        .gaugeBuilder("spantransport.receiver.guest.unacked")
        .ofLongs()
        .setDescription("Batches of a connected guest received and not yet acknowledged")
        .setUnit("{batch}")
        .buildWithCallback(
            m -> {
              for (Connection c : live) {
                m.record(c.unacked(), c.guestAttributes());
              }
            });
    meter
        .gaugeBuilder("spantransport.receiver.guest.idle")
        .setDescription("Seconds since a connected guest's last batch, or since it connected")
        .setUnit("s")
        .buildWithCallback(
            m -> {
              long now = System.currentTimeMillis();
              for (Connection c : live) {
                m.record(c.idleMillis(now) / 1000.0, c.guestAttributes());
              }
            });
  }

  ReceiverMetrics(MeterProvider provider) {
    Meter meter = provider.get("dev.spantransport.receiver");
    this.meter = meter;
    connections =
        meter
            .upDownCounterBuilder("spantransport.receiver.connections")
            .setDescription("Open guest connections")
            .build();
    batches =
        meter
            .counterBuilder("spantransport.receiver.batches")
            .setDescription("Batches received: SPANS, LOGS and METRICS frames, OTLP/HTTP requests")
            .build();
    spans =
        meter
            .counterBuilder("spantransport.receiver.spans")
            .setDescription("Spans received (duplicates excluded)")
            .build();
    logRecords =
        meter
            .counterBuilder("spantransport.receiver.log_records")
            .setDescription("Log records received (duplicates excluded)")
            .build();
    dataPoints =
        meter
            .counterBuilder("spantransport.receiver.metric_points")
            .setDescription("Metric data points received (duplicates excluded)")
            .build();
    acked =
        meter
            .counterBuilder("spantransport.receiver.acked")
            .setDescription("Batches acknowledged after every sink accepted them")
            .build();
    duplicates =
        meter
            .counterBuilder("spantransport.receiver.duplicates")
            .setDescription("Resent batches acknowledged again without reaching the sinks")
            .build();
    rejected =
        meter
            .counterBuilder("spantransport.receiver.rejected")
            .setDescription("Connections closed or batches refused, by reason")
            .build();
    refused =
        meter
            .counterBuilder("spantransport.receiver.refused")
            .setDescription("Connections closed on accept because a connection limit was reached")
            .build();
    sinkDuration =
        meter
            .histogramBuilder("spantransport.receiver.sink.duration")
            .setUnit("s")
            .setDescription("Time from handing a batch to the sinks until all completed")
            .build();
    stripped =
        meter
            .counterBuilder("spantransport.receiver.stripped")
            .setDescription(
                "Payload attributes under spantransport.peer. removed (identity is the host's)")
            .build();
    limited =
        meter
            .counterBuilder("spantransport.receiver.limited")
            .setDescription("Attributes, events and links dropped and values cut by span limits")
            .build();
  }

  /** Returns the metric attributes for one guest: transport plus CID or socket path. */
  static Attributes guestAttributes(PeerIdentity peer) {
    Attributes identity = peer.attributes();
    AttributesBuilder b = Attributes.builder().put(TRANSPORT, peer.transport());
    Long cid = identity.get(CID);
    if (cid != null) {
      b.put(CID, cid);
    }
    String path = identity.get(SOCKET_PATH);
    if (path != null) {
      b.put(SOCKET_PATH, path);
    }
    return b.build();
  }

  void connectionOpened(Attributes guest) {
    connections.add(1, guest);
  }

  void connectionClosed(Attributes guest) {
    connections.add(-1, guest);
  }

  void batchReceived(Attributes guest, int spanCount) {
    batches.add(1, guest);
    spans.add(spanCount, guest);
  }

  /** Counts a batch of {@code signal} with {@code items} spans, log records or data points. */
  void batchReceived(Attributes guest, Signal signal, int items) {
    batches.add(1, guest);
    switch (signal) {
      case LOGS:
        logRecords.add(items, guest);
        break;
      case METRICS:
        dataPoints.add(items, guest);
        break;
      default:
        spans.add(items, guest);
    }
  }

  void acked(Attributes guest, long count) {
    acked.add(count, guest);
  }

  void duplicate(Attributes guest) {
    duplicates.add(1, guest);
  }

  void rejected(Attributes guest, String reason) {
    rejected.add(1, guest.toBuilder().put(REASON, reason).build());
  }

  void stripped(Attributes guest, long count) {
    if (count > 0) {
      stripped.add(count, guest);
    }
  }

  void limited(Attributes guest, String kind, long count) {
    if (count > 0) {
      limited.add(count, guest.toBuilder().put(KIND, kind).build());
    }
  }

  void refused(String transport, String reason) {
    refused.add(1, Attributes.of(TRANSPORT, transport, REASON, reason));
  }

  void sinkDuration(Attributes guest, long nanos) {
    sinkDuration.record(nanos / 1e9, guest);
  }
}
