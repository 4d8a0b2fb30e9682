package dev.spantransport.vsock.guest.internal;

import dev.spantransport.text.RateLimitedLogger;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns an exported batch into SPANS frames in the {@link InflightWindow}: sizes it, reserves a
 * slot, writes the payload and then the header into the slot's reused buffer, and publishes it.
 * Splits a batch that exceeds the host's per-frame limits. Never does I/O and never waits for the
 * network; concurrent callers are serialised on one encoder.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class BatchFramer {

  private static final Logger logger = Logger.getLogger(BatchFramer.class.getName());

  private final BatchEncoder encoder;
  private final InflightWindow window;
  private final Sender sender;
  private final ExporterMetrics metrics;
  private final RateLimitedLogger throttled = new RateLimitedLogger(logger, 5, 60_000);

  /** Creates a framer writing into {@code window} and waking {@code sender}. */
  public BatchFramer(
      BatchEncoder encoder, InflightWindow window, Sender sender, ExporterMetrics metrics) {
    this.encoder = encoder;
    this.window = window;
    this.sender = sender;
    this.metrics = metrics;
  }

  /**
   * Puts {@code spans} into the window; returns false if any of them were dropped (counted and
   * logged).
   */
  public boolean frame(Collection<SpanData> spans) {
    boolean ok;
    synchronized (this) {
      ok = frameWithin(spans, sender.maxSpansHint(), sender.maxPayloadHint());
    }
    sender.wakeup();
    return ok;
  }

  private boolean frameWithin(Collection<SpanData> spans, int maxSpans, int maxPayload) {
    if (spans.size() > maxSpans) {
      List<SpanData> list = asList(spans);
      boolean ok = true;
      for (int from = 0; from < list.size(); from += maxSpans) {
        ok &=
            frameWithin(
                list.subList(from, Math.min(list.size(), from + maxSpans)), maxSpans, maxPayload);
      }
      return ok;
    }
    int payload;
    try {
      payload = encoder.prepare(spans);
    } catch (RuntimeException e) {
      return encodeFailed(spans.size(), e);
    }
    long frameLength = FrameDescriptor.HEADER_LENGTH + (long) payload;
    if (payload > maxPayload || frameLength > window.maxBytes()) {
      if (spans.size() > 1) {
        List<SpanData> list = asList(spans);
        int half = list.size() / 2;
        boolean first = frameWithin(list.subList(0, half), maxSpans, maxPayload);
        boolean second = frameWithin(list.subList(half, list.size()), maxSpans, maxPayload);
        return first && second;
      }
      metrics.dropped(DropReason.TOO_LARGE, 1);
      throttled.log(
          Level.WARNING,
          "span-transport dropped a span whose encoding ("
              + payload
              + " bytes) exceeds the frame limit of "
              + Math.min(maxPayload, window.maxBytes() - FrameDescriptor.HEADER_LENGTH)
              + " bytes");
      return false;
    }
    long droppedBefore = metrics.dropped(DropReason.BUFFER_FULL);
    Batch batch = window.reserve((int) frameLength, spans.size());
    long dropped = metrics.dropped(DropReason.BUFFER_FULL) - droppedBefore;
    if (dropped > 0) {
      throttled.log(
          Level.WARNING,
          "span-transport in-flight window is full ("
              + window.batches()
              + " batches, "
              + window.bytes()
              + " bytes not yet acknowledged by the host); dropped "
              + dropped
              + " spans");
    }
    if (batch == null) {
      return false;
    }
    try {
      int written = encoder.writeTo(batch.buffer, FrameDescriptor.HEADER_LENGTH);
      if (written != payload) {
        throw new IllegalStateException(
            "encoder must write the size it computed, " + payload + " bytes: " + written);
      }
      FrameWriter.writeHeader(batch.buffer, 0, FrameType.SPANS, batch.sequence, payload);
    } catch (RuntimeException e) {
      window.abandon(batch);
      return encodeFailed(spans.size(), e);
    }
    window.publish(batch);
    metrics.exported(spans.size());
    return true;
  }

  private boolean encodeFailed(int spans, RuntimeException e) {
    metrics.dropped(DropReason.ENCODE_FAILED, spans);
    throttled.log(Level.WARNING, "span-transport could not encode " + spans + " spans", e);
    return false;
  }

  private static List<SpanData> asList(Collection<SpanData> spans) {
    return spans instanceof List ? (List<SpanData>) spans : new ArrayList<>(spans);
  }
}
