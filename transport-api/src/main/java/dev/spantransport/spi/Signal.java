package dev.spantransport.spi;

/**
 * The three OpenTelemetry signals a span-transport channel carries, each with the OTLP request that
 * holds one batch of it and the OTLP/HTTP path that request is posted to.
 *
 * <p>The OTLP requests of all three signals share one outer shape: field 1 repeats a {@code
 * Resource*} message whose field 1 is the {@code Resource}. Code that only touches resources (the
 * identity rewrite) therefore works on every signal; code that counts items does not.
 */
public enum Signal {
  /** Spans: {@code ExportTraceServiceRequest}, posted to {@code /v1/traces}. */
  TRACES("/v1/traces", "ExportTraceServiceRequest", "spans"),

  /** Log records: {@code ExportLogsServiceRequest}, posted to {@code /v1/logs}. */
  LOGS("/v1/logs", "ExportLogsServiceRequest", "log records"),

  /** Metric data points: {@code ExportMetricsServiceRequest}, posted to {@code /v1/metrics}. */
  METRICS("/v1/metrics", "ExportMetricsServiceRequest", "data points");

  private final String httpPath;
  private final String requestName;
  private final String itemName;

  Signal(String httpPath, String requestName, String itemName) {
    this.httpPath = httpPath;
    this.requestName = requestName;
    this.itemName = itemName;
  }

  /** Returns the OTLP/HTTP path of this signal, e.g. {@code /v1/logs}. */
  public String httpPath() {
    return httpPath;
  }

  /** Returns the simple name of the OTLP request message, e.g. {@code ExportLogsServiceRequest}. */
  public String requestName() {
    return requestName;
  }

  /** Returns what one item of this signal is called in messages, e.g. {@code log records}. */
  public String itemName() {
    return itemName;
  }
}
