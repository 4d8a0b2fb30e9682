package dev.spantransport.forwarder.kata;

/** Receives each complete Kata agent frame that {@link KataFrameReader} finds. */
@FunctionalInterface
public interface KataFrameHandler {

  /**
   * Called once per complete frame with a view of its payload (header excluded). The bytes are
   * valid only during this call: copy them if they must outlive it.
   *
   * @param buffer the array holding the payload
   * @param offset the index of the payload's first byte in {@code buffer}
   * @param length the payload length in bytes
   * @throws KataFrameException if the payload is rejected; the reader passes it on to its caller
   */
  void onFrame(byte[] buffer, int offset, int length) throws KataFrameException;
}
