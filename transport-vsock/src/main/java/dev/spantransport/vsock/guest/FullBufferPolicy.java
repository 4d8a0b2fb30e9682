package dev.spantransport.vsock.guest;

/**
 * What {@link VsockSpanExporter#export} does with a batch when the in-flight window is full (the
 * host is absent or slower than the application). Either way the dropped spans are counted in the
 * {@code spantransport.exporter.spans.dropped} metric with reason {@code buffer_full}, and logged
 * through a throttled logger.
 */
public enum FullBufferPolicy {
  /** Drop the batch being exported; everything already in the window stays. The default. */
  DROP_NEWEST,
  /** Evict the oldest batches from the window until the new batch fits. */
  DROP_OLDEST
}
