package dev.spantransport.vsock.guest;

/**
 * What a {@link VsockSpanExporter} is doing, as {@link VsockSpanExporter#state()} reports it, as
 * the {@code spantransport.exporter.state} metric records it and as one log line per change
 * announces it (never one per retry).
 *
 * @since 0.1.0
 */
public enum ExporterState {
  /** Opening a connection and saying hello; the first state, and the state after a lost one. */
  CONNECTING,
  /** A host answered the handshake; batches flow and are acknowledged. */
  CONNECTED,
  /**
   * No host answers at the endpoint (nothing listens, or nothing says hello within the connect
   * timeout). Spans wait in the in-flight window until it is full, and the exporter keeps retrying
   * with backoff.
   */
  NO_HOST,
  /**
   * Connected, but the in-flight window filled up: the host acknowledges more slowly than spans are
   * exported, so spans are being dropped (and counted) by the full-buffer policy.
   */
  BACKPRESSURED,
  /** {@link VsockSpanExporter#shutdown()} was called. */
  SHUT_DOWN,
  /**
   * Built with {@code setEnabled(false)}: no socket is ever opened and every span is dropped and
   * counted.
   */
  DISABLED
}
