package dev.spantransport.forwarder;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns SIGTERM and SIGINT into a clean stop: the forwarder closes (drains, logs its final
 * counters) and exits 0, as its help promises. Left to the JVM's default, those signals start the
 * JVM's shutdown at once, which exits 143 or 130 whatever {@code main} returns, and resets the
 * logging handlers before a shutdown hook could log the counters.
 *
 * <p>Uses {@code sun.misc.Signal} from the {@code jdk.unsupported} module, the one way a Java
 * program handles a signal itself; where it is missing, the JVM's default handling stays.
 */
final class StopSignals {

  private static final Logger logger = Logger.getLogger(StopSignals.class.getName());

  private StopSignals() {}

  /** Runs {@code stop} on its own thread when SIGTERM or SIGINT arrives. */
  static void install(Runnable stop) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(
            new sun.misc.Signal(name),
            signal -> {
              logger.log(Level.INFO, () -> "SIG" + signal.getName() + " received; stopping");
              Thread t = new Thread(stop, "forwarder-stop-" + signal.getName());
              t.setDaemon(false);
              t.start();
            });
      } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
        logger.log(Level.FINE, "cannot handle SIG" + name + "; the JVM's default applies", e);
      }
    }
  }
}
