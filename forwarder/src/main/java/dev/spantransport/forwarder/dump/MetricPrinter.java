package dev.spantransport.forwarder.dump;

import dev.spantransport.text.SafeText;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.metrics.data.SummaryPointData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import java.io.PrintStream;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link MetricExporter} that prints one summary line per metric, labelled with the guest that
 * sent it: the {@code --dump-only} view of metrics.
 *
 * <pre>
 * guest vsock cid=3 · service checkout · metric http.server.duration histogram ms 2 points: count 41 sum 1203.5
 * </pre>
 *
 * <p>Numbers are summed over the metric's points (a sum or gauge shows the total and the point
 * count; a histogram its count and sum). Guest text is printed through {@link SafeText#escape}.
 */
public final class MetricPrinter implements MetricExporter {

  private final PrintStream out;
  private final AtomicLong printed = new AtomicLong();

  private MetricPrinter(PrintStream out) {
    this.out = out;
  }

  /**
   * Returns a printer writing to {@code out}.
   *
   * @param out where lines go
   * @return a new printer
   */
  public static MetricPrinter create(PrintStream out) {
    return new MetricPrinter(Objects.requireNonNull(out, "out"));
  }

  /** Prints what guests send as it is: their own temporality is kept. */
  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  /** Prints one line per metric. */
  @Override
  public CompletableResultCode export(Collection<MetricData> metrics) {
    for (MetricData metric : metrics) {
      out.println(line(metric));
      printed.incrementAndGet();
    }
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  /** Returns the line printed for {@code metric}. */
  public static String line(MetricData metric) {
    StringBuilder sb = new StringBuilder("guest ");
    sb.append(TraceTreePrinter.guestLabel(metric.getResource()))
        .append(" · metric ")
        .append(SafeText.escape(metric.getName()))
        .append(' ')
        .append(metric.getType().name().toLowerCase(Locale.ROOT));
    if (!metric.getUnit().isEmpty()) {
      sb.append(' ').append(SafeText.escape(metric.getUnit()));
    }
    Collection<? extends PointData> points = metric.getData().getPoints();
    sb.append(' ').append(points.size()).append(points.size() == 1 ? " point" : " points");
    long count = 0;
    double sum = 0;
    boolean counted = false;
    for (PointData p : points) {
      if (p instanceof LongPointData l) {
        sum += l.getValue();
      } else if (p instanceof DoublePointData d) {
        sum += d.getValue();
      } else if (p instanceof HistogramPointData h) {
        count += h.getCount();
        sum += h.getSum();
        counted = true;
      } else if (p instanceof ExponentialHistogramPointData e) {
        count += e.getCount();
        sum += e.getSum();
        counted = true;
      } else if (p instanceof SummaryPointData s) {
        count += s.getCount();
        sum += s.getSum();
        counted = true;
      }
    }
    sb.append(':');
    if (counted) {
      sb.append(" count ").append(count);
    }
    sb.append(counted ? " sum " : " value ").append(number(sum));
    return sb.toString();
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%.4g", v);
  }

  /** Returns how many metric lines were printed. */
  public long printed() {
    return printed.get();
  }

  @Override
  public CompletableResultCode flush() {
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "MetricPrinter{printed=" + printed.get() + "}";
  }
}
