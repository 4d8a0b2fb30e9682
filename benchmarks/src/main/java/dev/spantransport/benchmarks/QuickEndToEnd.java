package dev.spantransport.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * A short run of {@link EndToEndBenchmark} (one fork, 2 x 1 s warmup, 3 x 1 s measurement per
 * combination; about 3 minutes) that ends with a table of answered spans per second and the ratio
 * of each path to {@code raw-socket} (the ceiling) and to the better of {@code otlp-http} and
 * {@code otlp-grpc} (the best fair baseline) of the same row.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar ... or
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.QuickEndToEnd [jmh -prof name]
 * </pre>
 *
 * The figures are indicative: the run is short and the machine may be shared.
 */
public final class QuickEndToEnd {
  private QuickEndToEnd() {}

  /**
   * Runs the quick benchmark and prints the table.
   *
   * @param args optionally one JMH profiler name (e.g. {@code jfr})
   * @throws RunnerException if JMH fails
   */
  public static void main(String[] args) throws RunnerException {
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .include(EndToEndBenchmark.class.getName())
            .forks(1)
            .warmupIterations(2)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(3)
            .measurementTime(TimeValue.seconds(1));
    if (args.length > 0) {
      options.addProfiler(args[0]);
    }
    Collection<RunResult> results = new Runner(options.build()).run();
    System.out.println();
    System.out.println(table(results));
  }

  static String table(Collection<RunResult> results) {
    Map<String, Double> spansPerSecond = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (RunResult r : results) {
      Result<?> spans = r.getSecondaryResults().get("spans");
      String key =
          r.getParams().getParam("batchSize")
              + "|"
              + r.getParams().getParam("guests")
              + "|"
              + r.getParams().getParam("path");
      spansPerSecond.put(key, spans.getScore());
      keys.add(key);
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%-9s %-6s %-15s %14s %12s %12s%n",
            "batch",
            "guests",
            "path",
            "spans/s",
            "x raw-socket",
            "x best OTLP"));
    for (String key : keys) {
      String[] p = key.split("\\|");
      String row = p[0] + "|" + p[1] + "|";
      Double raw = spansPerSecond.get(row + "raw-socket");
      double best =
          Math.max(
              spansPerSecond.getOrDefault(row + "otlp-http", 0.0),
              spansPerSecond.getOrDefault(row + "otlp-grpc", 0.0));
      double score = spansPerSecond.get(key);
      out.append(
          String.format(
              Locale.ROOT,
              "%-9s %-6s %-15s %,14.0f %12s %12s%n",
              p[0],
              p[1],
              p[2],
              score,
              raw == null ? "-" : String.format(Locale.ROOT, "%.2f", score / raw),
              best == 0 ? "-" : String.format(Locale.ROOT, "%.1f", score / best)));
    }
    return out.toString();
  }
}
