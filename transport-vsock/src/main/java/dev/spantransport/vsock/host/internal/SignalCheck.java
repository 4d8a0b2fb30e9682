package dev.spantransport.vsock.host.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spantransport.codec.MalformedPayloadException;
import dev.spantransport.codec.OtlpPayloadCheck;
import dev.spantransport.policy.AttributePolicy;
import dev.spantransport.spi.Signal;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.sdk.trace.SpanLimits;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection's check of its guest's logs and metrics payloads before any sink sees them, the
 * twin of {@link PayloadCheck} for spans: {@link OtlpPayloadCheck} validates and counts in one pass
 * without allocating; only a payload carrying attribute keys under {@code spantransport.peer.}
 * (identity comes from the socket) is then rewritten without them, through protobuf-java's
 * generated classes. That path is rare (no honest SDK writes those keys) and runs after the
 * validation, so its allocation is bounded by the frame length.
 *
 * <p>This class is internal and may change without notice.
 */
final class SignalCheck {

  private final OtlpPayloadCheck check;
  private long stripped;

  SignalCheck(OtlpPayloadCheck check) {
    this.check = check;
  }

  /**
   * Validates the request of {@code signal} and returns its log records or data points.
   *
   * @throws MalformedPayloadException if it is not a valid request, or holds more items than the
   *     limit ({@link #overLimit()} then says so)
   */
  int count(Signal signal, byte[] buffer, int offset, int length) throws MalformedPayloadException {
    return check.countItems(signal, buffer, offset, length);
  }

  /**
   * Counts every item of a payload {@link #count} found over the limit, for the partial-success
   * answer; -1 if it is malformed after all.
   */
  static int countAll(Signal signal, byte[] buffer, int offset, int length) {
    try {
      return OtlpPayloadCheck.create(SpanLimits.getDefault(), Integer.MAX_VALUE)
          .countItems(signal, buffer, offset, length);
    } catch (MalformedPayloadException e) {
      return -1;
    }
  }

  /** Whether the last {@link #count} failed only because of the item limit. */
  boolean overLimit() {
    return check.overLimit();
  }

  /** Attributes removed by the last {@link #sanitize} that returned a payload. */
  long stripped() {
    return stripped;
  }

  /**
   * Returns the payload last counted without the reserved attributes, or null when it has none and
   * can go as it is (the common case).
   *
   * @throws MalformedPayloadException if protobuf-java cannot parse what the check accepted (e.g. a
   *     string that is not UTF-8)
   */
  byte[] sanitize(Signal signal, byte[] buffer, int offset, int length)
      throws MalformedPayloadException {
    if (!check.needsRewrite()) {
      return null;
    }
    stripped = 0;
    try {
      if (signal == Signal.LOGS) {
        ExportLogsServiceRequest.Builder request =
            ExportLogsServiceRequest.parseFrom(ByteBuffer.wrap(buffer, offset, length).slice())
                .toBuilder();
        for (ResourceLogs.Builder r : request.getResourceLogsBuilderList()) {
          if (r.hasResource()) {
            r.setResource(resource(r.getResource()));
          }
          for (ScopeLogs.Builder s : r.getScopeLogsBuilderList()) {
            if (s.hasScope()) {
              s.setScope(scope(s.getScope()));
            }
            for (LogRecord.Builder l : s.getLogRecordsBuilderList()) {
              List<KeyValue> kept = strip(l.getAttributesList());
              l.clearAttributes().addAllAttributes(kept);
              if (l.hasBody()) {
                l.setBody(value(l.getBody()));
              }
            }
          }
        }
        return request.build().toByteArray();
      }
      ExportMetricsServiceRequest.Builder request =
          ExportMetricsServiceRequest.parseFrom(ByteBuffer.wrap(buffer, offset, length).slice())
              .toBuilder();
      for (ResourceMetrics.Builder r : request.getResourceMetricsBuilderList()) {
        if (r.hasResource()) {
          r.setResource(resource(r.getResource()));
        }
        for (ScopeMetrics.Builder s : r.getScopeMetricsBuilderList()) {
          if (s.hasScope()) {
            s.setScope(scope(s.getScope()));
          }
          for (Metric.Builder m : s.getMetricsBuilderList()) {
            metric(m);
          }
        }
      }
      return request.build().toByteArray();
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedPayloadException(
          "not a valid " + signal.requestName() + ": " + e.getMessage(), -1);
    }
  }

  private void metric(Metric.Builder m) {
    List<KeyValue> metadata = strip(m.getMetadataList());
    m.clearMetadata().addAllMetadata(metadata);
    if (m.hasGauge()) {
      for (NumberDataPoint.Builder p : m.getGaugeBuilder().getDataPointsBuilderList()) {
        numberPoint(p);
      }
    } else if (m.hasSum()) {
      for (NumberDataPoint.Builder p : m.getSumBuilder().getDataPointsBuilderList()) {
        numberPoint(p);
      }
    } else if (m.hasHistogram()) {
      for (HistogramDataPoint.Builder p : m.getHistogramBuilder().getDataPointsBuilderList()) {
        List<KeyValue> kept = strip(p.getAttributesList());
        p.clearAttributes().addAllAttributes(kept);
        for (Exemplar.Builder e : p.getExemplarsBuilderList()) {
          exemplar(e);
        }
      }
    } else if (m.hasExponentialHistogram()) {
      for (ExponentialHistogramDataPoint.Builder p :
          m.getExponentialHistogramBuilder().getDataPointsBuilderList()) {
        List<KeyValue> kept = strip(p.getAttributesList());
        p.clearAttributes().addAllAttributes(kept);
        for (Exemplar.Builder e : p.getExemplarsBuilderList()) {
          exemplar(e);
        }
      }
    } else if (m.hasSummary()) {
      for (SummaryDataPoint.Builder p : m.getSummaryBuilder().getDataPointsBuilderList()) {
        List<KeyValue> kept = strip(p.getAttributesList());
        p.clearAttributes().addAllAttributes(kept);
      }
    }
  }

  private void numberPoint(NumberDataPoint.Builder p) {
    List<KeyValue> kept = strip(p.getAttributesList());
    p.clearAttributes().addAllAttributes(kept);
    for (Exemplar.Builder e : p.getExemplarsBuilderList()) {
      exemplar(e);
    }
  }

  private void exemplar(Exemplar.Builder e) {
    List<KeyValue> kept = strip(e.getFilteredAttributesList());
    e.clearFilteredAttributes().addAllFilteredAttributes(kept);
  }

  private Resource resource(Resource resource) {
    return resource.toBuilder()
        .clearAttributes()
        .addAllAttributes(strip(resource.getAttributesList()))
        .build();
  }

  private InstrumentationScope scope(InstrumentationScope scope) {
    return scope.toBuilder()
        .clearAttributes()
        .addAllAttributes(strip(scope.getAttributesList()))
        .build();
  }

  /** Returns the attributes without reserved keys, nested key-value lists included. */
  private List<KeyValue> strip(List<KeyValue> attributes) {
    List<KeyValue> kept = new ArrayList<>(attributes.size());
    for (KeyValue kv : attributes) {
      if (kv.getKey().startsWith(AttributePolicy.RESERVED_PREFIX)) {
        stripped++;
        continue;
      }
      kept.add(kv.hasValue() ? kv.toBuilder().setValue(value(kv.getValue())).build() : kv);
    }
    return kept;
  }

  private AnyValue value(AnyValue value) {
    if (value.hasKvlistValue()) {
      return value.toBuilder()
          .setKvlistValue(
              KeyValueList.newBuilder().addAllValues(strip(value.getKvlistValue().getValuesList())))
          .build();
    }
    if (value.hasArrayValue()) {
      ArrayValue.Builder array = ArrayValue.newBuilder();
      for (AnyValue v : value.getArrayValue().getValuesList()) {
        array.addValues(value(v));
      }
      return value.toBuilder().setArrayValue(array).build();
    }
    return value;
  }

  @Override
  public String toString() {
    return "SignalCheck{" + check + "}";
  }
}
