package dev.spantransport.sink;

/**
 * The failure a {@link SpanSink} reports when a batch can never be accepted, however often it is
 * resent: the collector refused the payload itself (HTTP 400 or 413, an undecodable or oversized
 * batch), not its own availability.
 *
 * <p>A sink reports it by failing its result with {@code
 * CompletableResultCode.ofExceptionalFailure(new BatchRejectedException("..."))}. The receiver then
 * rejects that batch for good: the guest is told, the batch is counted as dropped with this
 * exception's message as the reason on both sides, and the batches behind it keep flowing. Any
 * other failure (no exception, or another exception) means "retry later": the guest resends.
 */
public final class BatchRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates a permanent rejection.
   *
   * @param message why the batch cannot be accepted, shown to operators and sent to the guest
   */
  public BatchRejectedException(String message) {
    super(message);
  }

  /**
   * Creates a permanent rejection with the error that caused it.
   *
   * @param message why the batch cannot be accepted, shown to operators and sent to the guest
   * @param cause the underlying error
   */
  public BatchRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
