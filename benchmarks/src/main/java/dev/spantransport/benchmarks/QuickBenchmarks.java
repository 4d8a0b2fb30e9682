package dev.spantransport.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * A short run of {@link EncodeBenchmark} and {@link DecodeBenchmark} (one fork, 2 x 1 s warmup, 2 x
 * 1 s measurement, GC profiler; about 2.5 minutes) that ends with a compact table: spans per
 * second, bytes allocated per batch, and the ratio to the reference contender (otel-low-allocation
 * for encoding, protobuf-java for decoding).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.spantransport.benchmarks.QuickBenchmarks [batchSize ...]
 * </pre>
 *
 * The figures are indicative: the run is short and the machine may be shared. For real numbers run
 * the JMH main ({@code java -jar benchmarks/target/benchmarks.jar}) with its default settings.
 */
public final class QuickBenchmarks {
  private QuickBenchmarks() {}

  public static void main(String[] args) throws RunnerException {
    OptionsBuilder builder = new OptionsBuilder();
    builder
        .include(EncodeBenchmark.class.getName())
        .include(DecodeBenchmark.class.getName())
        .forks(1)
        .warmupIterations(2)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(2)
        .measurementTime(TimeValue.seconds(1))
        .addProfiler(GCProfiler.class)
        .verbosity(VerboseMode.NORMAL);
    if (args.length > 0) {
      builder.param("batchSize", args);
    }
    Options options = builder.build();
    Collection<RunResult> results = new Runner(options).run();
    System.out.println();
    System.out.println(table(results));
  }

  static String table(Collection<RunResult> results) {
    List<String[]> rows = new ArrayList<>();
    Map<String, Double> reference = new HashMap<>();
    for (RunResult r : results) {
      String bench = r.getParams().getBenchmark();
      boolean encode = bench.contains("EncodeBenchmark");
      String contender = r.getParams().getParam(encode ? "encoder" : "decoder");
      String batch = r.getParams().getParam("batchSize");
      if (contender.equals(encode ? "otel-low-allocation" : "protobuf-java")) {
        reference.put((encode ? "encode:" : "decode:") + batch, r.getPrimaryResult().getScore());
      }
    }
    for (RunResult r : results) {
      String bench = r.getParams().getBenchmark();
      boolean encode = bench.contains("EncodeBenchmark");
      String contender = r.getParams().getParam(encode ? "encoder" : "decoder");
      int batch = Integer.parseInt(r.getParams().getParam("batchSize"));
      double ops = r.getPrimaryResult().getScore();
      Double ref = reference.get((encode ? "encode:" : "decode:") + batch);
      rows.add(
          new String[] {
            encode ? "encode" : "decode",
            contender,
            Integer.toString(batch),
            String.format(Locale.ROOT, "%,.0f", ops),
            String.format(Locale.ROOT, "%,.0f", ops * batch),
            allocation(r),
            ref == null ? "-" : String.format(Locale.ROOT, "%.2fx", ops / ref)
          });
    }
    String[] header = {"op", "contender", "batch", "batches/s", "spans/s", "B/batch", "vs ref"};
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
      for (String[] row : rows) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    appendRow(sb, header, width);
    for (String[] row : rows) {
      appendRow(sb, row, width);
    }
    sb.append("ref = otel-low-allocation (encode), protobuf-java (decode); indicative figures\n");
    return sb.toString();
  }

  private static String allocation(RunResult r) {
    Map<String, Result> secondary = r.getSecondaryResults();
    Result norm = secondary.get("gc.alloc.rate.norm");
    if (norm == null) {
      norm = secondary.get("·gc.alloc.rate.norm");
    }
    return norm == null ? "?" : String.format(Locale.ROOT, "%,.0f", norm.getScore());
  }

  private static void appendRow(StringBuilder sb, String[] row, int[] width) {
    for (int i = 0; i < row.length; i++) {
      String cell = row[i];
      boolean left = i < 2;
      String pad = " ".repeat(width[i] - cell.length());
      sb.append(left ? cell + pad : pad + cell).append(i + 1 < row.length ? "  " : "\n");
    }
  }
}
