package dev.spantransport.tests;

import dev.spantransport.vsock.host.SpanReceiver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What every receiver main of these tests does once its receiver is built: the stdin/stdout
 * protocol {@link ChildJvm} speaks.
 *
 * <ul>
 *   <li>Starts the receiver and prints {@code READY <description>}, or {@code FAILED ...} and exits
 *       2.
 *   <li>On the line {@code stats} prints one {@code STATS key=value ...} line: {@code connections}
 *       and {@code bufferedBytes} of the receiver, the main's own figures, then this JVM's {@code
 *       heapUsed}, {@code heapPeak} (heap pools' current and peak use, garbage included) and {@code
 *       heapMax}. {@code gc-stats} does the same right after a full collection.
 *   <li>On {@code exit} or the end of stdin closes the receiver, runs the main's clean-up and exits
 *       0.
 * </ul>
 */
public final class ReceiverConsole {

  private ReceiverConsole() {}

  /**
   * Serves the protocol until {@code exit}; never returns normally.
   *
   * @param receiver the built, not yet started receiver
   * @param description what {@code READY} names (the receiver and its sinks)
   * @param figures adds the main's own {@code key=value} figures to a {@code STATS} line
   * @param afterClose runs after the receiver closed (e.g. shutting a sink down)
   */
  public static void serve(
      SpanReceiver receiver,
      String description,
      Consumer<Map<String, Object>> figures,
      Runnable afterClose)
      throws IOException {
    if (!receiver.start().join(10, TimeUnit.SECONDS).isSuccess()) {
      System.out.println("FAILED to start " + receiver);
      System.exit(2);
    }
    System.out.println("READY " + description);
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("stats") || line.equals("gc-stats")) {
        if (line.equals("gc-stats")) {
          System.gc(); // a full collection now: what is in use after it is live
        }
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("connections", receiver.connectionCount());
        stats.put("bufferedBytes", receiver.bufferedBytes());
        figures.accept(stats);
        long heapPeak = 0;
        long heapUsed = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            heapPeak += pool.getPeakUsage().getUsed();
            heapUsed += pool.getUsage().getUsed();
          }
        }
        stats.put("heapUsed", heapUsed);
        stats.put("heapPeak", heapPeak);
        stats.put("heapMax", Runtime.getRuntime().maxMemory());
        StringJoiner out = new StringJoiner(" ", "STATS ", "");
        stats.forEach((k, v) -> out.add(k + "=" + v));
        System.out.println(out);
        System.out.flush();
      } else if (line.equals("exit")) {
        break;
      }
    }
    receiver.close();
    afterClose.run();
    System.exit(0);
  }
}
