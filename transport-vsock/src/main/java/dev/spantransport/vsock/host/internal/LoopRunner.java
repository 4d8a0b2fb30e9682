package dev.spantransport.vsock.host.internal;

import java.util.logging.Level;

/**
 * Owns the thread of one {@link ReceiveLoop}: calls {@code doWork()} until the loop closes and
 * idles in the selector when a round found nothing to do. An unexpected error is logged and the
 * loop goes on.
 *
 * <p>This class is internal and may change without notice.
 */
public final class LoopRunner implements Runnable {

  private static final long IDLE_MILLIS = 100;

  private final ReceiveLoop loop;

  /**
   * Creates a runner for {@code loop}.
   *
   * @param loop the loop to run
   */
  public LoopRunner(ReceiveLoop loop) {
    this.loop = loop;
  }

  @Override
  public void run() {
    while (!loop.isClosed()) {
      try {
        if (loop.doWork() == 0) {
          loop.idle(IDLE_MILLIS);
        }
      } catch (Throwable t) {
        ReceiverContext.LOGGER.log(Level.SEVERE, "receive loop error; continuing", t);
        if (t instanceof Error
            && !(t instanceof OutOfMemoryError)
            && !(t instanceof StackOverflowError)) {
          loop.close();
          throw (Error) t;
        }
      }
    }
  }
}
