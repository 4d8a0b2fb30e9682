package dev.spantransport.tests.adversity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A racing observer: a thread that reads a path's permissions in a tight loop, as an attacker
 * polling for the socket file would, and records every permission string it ever saw there.
 */
public final class SocketFileWatch implements AutoCloseable {

  private final Path path;
  private final Set<String> seen = new TreeSet<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private long observations;
  private volatile Throwable failure;

  private SocketFileWatch(Path path) {
    this.path = path;
    this.thread = new Thread(this::run, "socket-file-watch");
    this.thread.setDaemon(true);
  }

  /**
   * Starts watching {@code path}.
   *
   * @param path the socket file to watch
   * @return the running watch
   */
  public static SocketFileWatch start(Path path) {
    SocketFileWatch w = new SocketFileWatch(path);
    w.thread.start();
    return w;
  }

  private void run() {
    try {
      while (!stop.get()) {
        try {
          PosixFileAttributes a =
              Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          String mode = PosixFilePermissions.toString(a.permissions());
          synchronized (seen) {
            seen.add(mode);
            observations++;
          }
        } catch (NoSuchFileException e) {
          // not there (yet, or any more)
        }
      }
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
  }

  /** Stops the thread and waits for it. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(10_000);
    if (failure != null) {
      throw new IllegalStateException("watch failed", failure);
    }
  }

  /** Returns every permission string seen on the path. */
  public Set<String> seen() {
    synchronized (seen) {
      return new TreeSet<>(seen);
    }
  }

  /** Returns how many times the path was found. */
  public long observations() {
    synchronized (seen) {
      return observations;
    }
  }
}
