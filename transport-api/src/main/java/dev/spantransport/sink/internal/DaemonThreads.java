package dev.spantransport.sink.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Small executors of daemon threads named after their owner, so HTTP senders never depend on {@code
 * ForkJoinPool.commonPool()} (which anything else in the JVM may block).
 *
 * <p>This class is internal and may change without notice.
 */
public final class DaemonThreads {

  private DaemonThreads() {}

  /**
   * Returns a thread factory making daemon threads named {@code <name>-1}, {@code <name>-2}, ...
   *
   * @param name the thread name prefix
   * @return the factory
   */
  public static ThreadFactory factory(String name) {
    AtomicInteger count = new AtomicInteger();
    ThreadFactory base = Executors.defaultThreadFactory();
    return task -> {
      Thread t = base.newThread(task);
      t.setName(name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Returns a pool of at most {@code threads} daemon threads, started on demand and ended after a
   * minute idle; tasks beyond that wait in order.
   *
   * @param name the thread name prefix
   * @param threads the most threads the pool runs at once; positive
   * @return the pool
   */
  public static ThreadPoolExecutor boundedPool(String name, int threads) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory(name));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /**
   * Returns a one-thread scheduler of a daemon thread, started on first use; a cancelled task
   * leaves its queue at once.
   *
   * @param name the thread name prefix
   * @return the scheduler
   */
  public static ScheduledExecutorService scheduler(String name) {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, factory(name));
    scheduler.setRemoveOnCancelPolicy(true);
    return scheduler;
  }
}
