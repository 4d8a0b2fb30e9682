package dev.spantransport.vsock.guest.internal;

import dev.spantransport.text.RateLimitedLogger;
import dev.spantransport.vsock.guest.internal.ExporterMetrics.DropReason;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameWriter;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns an exported batch of log records or metrics into LOGS or METRICS frames in a shared {@link
 * InflightWindow}, as {@link BatchFramer} does for spans: the OTLP request is sized and written by
 * OpenTelemetry's own request marshaler straight into the window slot's reused buffer after the
 * header. A batch with more items than the host takes per frame, or larger than a frame, is split;
 * a single element still too large is dropped and counted. Never does I/O.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 *
 * @param <T> {@code LogRecordData} or {@code MetricData}
 */
public final class SignalFramer<T> {

  private static final Logger logger = Logger.getLogger(SignalFramer.class.getName());

  private final int frameType;
  private final String itemName;
  private final Function<Collection<T>, Marshaler> marshaler;
  private final ToIntFunction<T> itemsOf;
  private final InflightWindow window;
  private final Sender sender;
  private final ExporterMetrics metrics;
  private final RateLimitedLogger throttled = new RateLimitedLogger(logger, 5, 60_000);

  /**
   * Creates a framer.
   *
   * @param frameType LOGS or METRICS
   * @param itemName e.g. {@code log records}, for log lines
   * @param marshaler builds the OTLP request of a batch
   * @param itemsOf the items one element counts for: 1 per log record, the points of a metric
   * @param window the channel's window
   * @param sender the channel's sender, woken after each batch and asked for the host's limits
   * @param metrics this signal's counters
   */
  public SignalFramer(
      int frameType,
      String itemName,
      Function<Collection<T>, Marshaler> marshaler,
      ToIntFunction<T> itemsOf,
      InflightWindow window,
      Sender sender,
      ExporterMetrics metrics) {
    this.frameType = frameType;
    this.itemName = itemName;
    this.marshaler = marshaler;
    this.itemsOf = itemsOf;
    this.window = window;
    this.sender = sender;
    this.metrics = metrics;
  }

  /** Puts {@code elements} into the window; false if any item was dropped (counted, logged). */
  public boolean frame(Collection<T> elements) {
    boolean ok;
    synchronized (this) {
      ok = frameWithin(asList(elements), sender.maxSpansHint(), sender.maxPayloadHint());
    }
    sender.wakeup();
    return ok;
  }

  private int items(List<T> elements) {
    long n = 0;
    for (T e : elements) {
      n += itemsOf.applyAsInt(e);
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  private boolean frameWithin(List<T> elements, int maxItems, int maxPayload) {
    int items = items(elements);
    if (items > maxItems && elements.size() > 1) {
      int half = elements.size() / 2;
      boolean first = frameWithin(elements.subList(0, half), maxItems, maxPayload);
      boolean second = frameWithin(elements.subList(half, elements.size()), maxItems, maxPayload);
      return first && second;
    }
    Marshaler request;
    int payload;
    try {
      request = marshaler.apply(elements);
      payload = request.getBinarySerializedSize();
    } catch (RuntimeException e) {
      return encodeFailed(items, e);
    }
    long frameLength = FrameDescriptor.HEADER_LENGTH + (long) payload;
    if (items > maxItems || payload > maxPayload || frameLength > window.maxBytes()) {
      if (elements.size() > 1) {
        int half = elements.size() / 2;
        boolean first = frameWithin(elements.subList(0, half), maxItems, maxPayload);
        boolean second = frameWithin(elements.subList(half, elements.size()), maxItems, maxPayload);
        return first && second;
      }
      metrics.dropped(DropReason.TOO_LARGE, items);
      throttled.log(
          Level.WARNING,
          "span-transport dropped "
              + items
              + " "
              + itemName
              + " whose encoding ("
              + payload
              + " bytes) exceeds the frame limit of "
              + Math.min(maxPayload, window.maxBytes() - FrameDescriptor.HEADER_LENGTH)
              + " bytes or the host's "
              + maxItems
              + " items per frame");
      return false;
    }
    long droppedBefore = metrics.dropped(DropReason.BUFFER_FULL);
    Batch batch = window.reserve((int) frameLength, items, metrics, frameType);
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
              + " "
              + itemName);
    }
    if (batch == null) {
      return false;
    }
    try {
      ArrayOutput out = new ArrayOutput(batch.buffer, FrameDescriptor.HEADER_LENGTH);
      request.writeBinaryTo(out);
      int written = out.position - FrameDescriptor.HEADER_LENGTH;
      if (written != payload) {
        throw new IllegalStateException(
            "marshaler must write the size it computed, " + payload + " bytes: " + written);
      }
      FrameWriter.writeHeader(batch.buffer, 0, frameType, batch.sequence, payload);
    } catch (IOException | RuntimeException e) {
      window.abandon(batch);
      return encodeFailed(items, e);
    }
    window.publish(batch);
    metrics.exported(items);
    return true;
  }

  private boolean encodeFailed(int items, Exception e) {
    metrics.dropped(DropReason.ENCODE_FAILED, items);
    throttled.log(Level.WARNING, "span-transport could not encode " + items + " " + itemName, e);
    return false;
  }

  private static <T> List<T> asList(Collection<T> elements) {
    return elements instanceof List ? (List<T>) elements : new ArrayList<>(elements);
  }

  /** Writes into a window slot's array; the size pass guarantees it fits. */
  private static final class ArrayOutput extends OutputStream {
    private final byte[] buffer;
    int position;

    ArrayOutput(byte[] buffer, int position) {
      this.buffer = buffer;
      this.position = position;
    }

    @Override
    public void write(int b) {
      if (position >= buffer.length) {
        throw new IllegalStateException("marshaler wrote past its computed size");
      }
      buffer[position++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (len > buffer.length - position) {
        throw new IllegalStateException("marshaler wrote past its computed size");
      }
      System.arraycopy(b, off, buffer, position, len);
      position += len;
    }
  }
}
