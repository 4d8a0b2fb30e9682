package dev.spantransport.forwarder.zipkin;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;

/**
 * Configures a {@link ZipkinExporter}. Every setter checks its argument at once, so a bad value
 * never reaches {@link #build()}. Not thread-safe.
 */
public final class ZipkinExporterBuilder {

  /** The default spans URL of a Zipkin server on this host. */
  public static final String DEFAULT_ENDPOINT = "http://localhost:9411/api/v2/spans";

  /** The default bound on POSTs in flight. */
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 4;

  /** The default bound on one POST's body, in bytes; a batch above it is posted in parts. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 512 * 1024;

  private String endpoint = DEFAULT_ENDPOINT;
  private Duration timeout = Duration.ofSeconds(10);
  private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
  private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

  ZipkinExporterBuilder() {}

  /**
   * Sets the Zipkin v2 spans URL. Default {@value #DEFAULT_ENDPOINT}.
   *
   * @param endpoint an http or https URL naming a host, e.g. {@code
   *     http://zipkin:9411/api/v2/spans}
   * @return this builder
   */
  public ZipkinExporterBuilder setEndpoint(String endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("endpoint must be a valid URL: " + endpoint, e);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          "endpoint must start with http:// or https://: " + endpoint);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("endpoint must name a host: " + endpoint);
    }
    this.endpoint = endpoint;
    return this;
  }

  /**
   * Sets how long one POST may take, connect included. Default 10 s.
   *
   * @param timeout a positive duration
   * @return this builder
   */
  public ZipkinExporterBuilder setTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    this.timeout = timeout;
    return this;
  }

  /**
   * Sets the most POSTs in flight at once; more wait in order. Default {@value
   * #DEFAULT_MAX_CONCURRENT_REQUESTS}.
   *
   * @param maxConcurrentRequests at least 1
   * @return this builder
   */
  public ZipkinExporterBuilder setMaxConcurrentRequests(int maxConcurrentRequests) {
    if (maxConcurrentRequests < 1) {
      throw new IllegalArgumentException(
          "maxConcurrentRequests must be at least 1: " + maxConcurrentRequests);
    }
    this.maxConcurrentRequests = maxConcurrentRequests;
    return this;
  }

  /**
   * Sets the most bytes one POST carries; a batch above it is posted in several parts (a single
   * span above it is posted alone). Default {@value #DEFAULT_MAX_MESSAGE_BYTES}.
   *
   * @param maxMessageBytes at least 1,024
   * @return this builder
   */
  public ZipkinExporterBuilder setMaxMessageBytes(int maxMessageBytes) {
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException(
          "maxMessageBytes must be at least 1024: " + maxMessageBytes);
    }
    this.maxMessageBytes = maxMessageBytes;
    return this;
  }

  /**
   * Returns a new exporter with this configuration.
   *
   * @return the exporter
   */
  public ZipkinExporter build() {
    return new ZipkinExporter(endpoint, timeout, maxConcurrentRequests, maxMessageBytes);
  }
}
