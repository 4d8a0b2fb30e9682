package dev.spantransport.vsock.host.internal;

/**
 * The memory one {@link Connection} holds: read-buffer growth, the credit reserved before each
 * socket read, and the payload copies in the sinks. Also keeps one spare payload array, still
 * accounted, for the next small batch. Used on the loop thread only.
 *
 * <h2>Memory</h2>
 *
 * The read buffer starts at the base size and grows, by doubling, only when it is full and the
 * frame being read needs more (the reader checks the length against the max frame length first):
 * the budget is charged for bytes that arrived, never for a length a guest merely announced. It
 * shrinks back when the connection has been quiet for a while. Before each socket read the
 * connection also reserves its buffer's capacity as credit for the payload copies that read can
 * produce, so copies never exceed the budget; unused credit is returned right after. Growth, credit
 * and payload copies are taken at once from three limits: the shared {@link MemoryBudget}, the
 * peer's share ({@link PeerLimits}) and this connection's own share (two max frames plus two base
 * buffers: one frame being read, its read credit, and copies in the sinks). If any cannot cover
 * them, the connection stops reading until memory is released.
 *
 * <p>This class is internal and may change without notice.
 */
final class ConnectionMemory {

  private final ReceiverContext context;
  private final PeerLimits.Peer share;
  private final long connectionShare;
  private final int baseSize;

  private long held;
  private byte[] spare;
  private long copyCredit;

  ConnectionMemory(
      ReceiverContext context, PeerLimits.Peer share, long connectionShare, int baseSize) {
    this.context = context;
    this.share = share;
    this.connectionShare = connectionShare;
    this.baseSize = baseSize;
  }

  /**
   * Takes {@code bytes} from this connection's share, its peer's share and the shared budget, or
   * from none of them.
   */
  boolean reserve(long bytes) {
    if (bytes <= 0) {
      return true;
    }
    if (held + bytes > connectionShare || !context.peers.tryReserve(share, bytes)) {
      return false;
    }
    if (!context.budget.tryReserve(bytes)) {
      context.peers.release(share, bytes);
      return false;
    }
    held += bytes;
    return true;
  }

  /** Accounts for {@code bytes} already taken, even past the limits. */
  void forceReserve(long bytes) {
    context.budget.forceReserve(bytes);
    context.peers.forceReserve(share, bytes);
    held += bytes;
  }

  /** Returns {@code bytes} taken with {@link #reserve} or {@link #forceReserve}. */
  void release(long bytes) {
    if (bytes > 0) {
      held -= bytes;
      context.peers.release(share, bytes);
      context.budget.release(bytes);
    }
  }

  /**
   * Reserves {@code credit} for the payload copies the next socket read can produce, or returns
   * false if the limits cannot cover it now.
   */
  boolean reserveCredit(long credit) {
    if (!reserve(credit)) {
      return false;
    }
    copyCredit = credit;
    return true;
  }

  /** Returns what is left of the read credit, right after the read was handled. */
  void releaseCredit() {
    release(copyCredit);
    copyCredit = 0;
  }

  /**
   * Returns an array of at least {@code length} bytes for a payload copy, accounted in the memory
   * budget (the spare buffer, the credit reserved before this read, or a fresh reservation), or
   * null if the budget cannot cover it now.
   */
  byte[] copyBuffer(int length) {
    if (spare != null && spare.length >= length) {
      byte[] payload = spare;
      spare = null;
      return payload;
    }
    releaseSpare(); // too small for this batch: its memory goes to the copy instead
    if (copyCredit >= length) {
      copyCredit -= length; // covered by the credit reserved before this read
      return new byte[length];
    }
    return context.budget.tryReserve(length) ? new byte[length] : null;
  }

  /**
   * Returns a copy buffer that was not needed, as {@link #releasePayload} would; {@code open}: the
   * connection is not closed, so the buffer may be kept as the spare.
   */
  void giveBack(byte[] payload, boolean open) {
    if (spare == null && open && payload.length <= baseSize) {
      spare = payload;
    } else {
      context.budget.release(payload.length);
    }
  }

  /**
   * Returns a payload the sinks are done with; {@code reusable}: the connection is open with a
   * session, so the payload may stay as the spare; {@code readCapacity}: its read buffer's size.
   */
  void releasePayload(byte[] payload, boolean reusable, int readCapacity) {
    if (keepsAsSpare(payload.length, reusable, readCapacity)) {
      spare = payload; // stays accounted; reused for the next batch
    } else {
      release(payload.length);
    }
  }

  /**
   * Whether a payload copy of {@code length} bytes may stay as the spare for the next batch: up to
   * the read buffer's size (frames of that size already arrive), and only while the connection's
   * share still covers its next read beside it. A steady stream of batches then reuses one array
   * instead of allocating one per batch; the spare goes back after a quiet second or when a read
   * needs its memory.
   */
  private boolean keepsAsSpare(int length, boolean reusable, int readCapacity) {
    return spare == null
        && reusable
        && (length <= baseSize
            || (length <= readCapacity && held + readCapacity <= connectionShare));
  }

  /** Releases the spare copy buffer; returns whether there was one. */
  boolean releaseSpare() {
    if (spare == null) {
      return false;
    }
    release(spare.length);
    spare = null;
    return true;
  }

  @Override
  public String toString() {
    return "ConnectionMemory{held=" + held + ", share=" + connectionShare + "}";
  }
}
