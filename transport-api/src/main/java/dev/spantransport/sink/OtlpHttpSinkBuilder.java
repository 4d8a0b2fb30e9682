package dev.spantransport.sink;

import dev.spantransport.spi.Signal;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Configures an {@link OtlpHttpSink}. Every setter checks its argument at once, so a bad value
 * never reaches {@link #build()}. Not thread-safe.
 */
public final class OtlpHttpSinkBuilder {

  /** The default collector base URL; {@code /v1/traces} is appended. */
  public static final String DEFAULT_ENDPOINT = "http://localhost:4318";

  /** The default number of attempts per batch, the first one included. */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;

  /** The default bound on requests in flight. */
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 64;

  private String endpoint = DEFAULT_ENDPOINT;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private Duration timeout = Duration.ofSeconds(10);
  private Duration connectTimeout = Duration.ofSeconds(10);
  private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
  private Duration initialBackoff = Duration.ofSeconds(1);
  private Duration maxBackoff = Duration.ofSeconds(5);
  private double backoffMultiplier = 1.5;
  private Duration maxRetryDuration = Duration.ofSeconds(60);
  private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;

  OtlpHttpSinkBuilder() {}

  /**
   * Sets the collector's base URL, e.g. {@code http://collector:4318}; requests go to {@code
   * <endpoint>/v1/traces}, {@code /v1/logs} and {@code /v1/metrics}. A URL that already ends in one
   * of these paths has it replaced by each signal's own. Default {@value #DEFAULT_ENDPOINT}.
   *
   * @param endpoint an http or https URL
   * @return this builder
   */
  public OtlpHttpSinkBuilder setEndpoint(String endpoint) {
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
   * Adds a header sent with every request (e.g. an API key). Values are never printed by {@code
   * toString()}.
   *
   * @param name header name
   * @param value header value
   * @return this builder
   */
  public OtlpHttpSinkBuilder addHeader(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (name.isBlank()) {
      throw new IllegalArgumentException("header name must not be blank: '" + name + "'");
    }
    try {
      // the JDK client refuses restricted names (Host, Connection, ...) and control characters
      // when the request is built, which would happen on a receiver thread for every batch
      HttpRequest.newBuilder().header(name, value);
    } catch (IllegalArgumentException e) {
      // the value may be a credential: it is not echoed
      throw new IllegalArgumentException(
          "header must be one the HTTP client may send (not restricted, no control characters): "
              + name);
    }
    headers.put(name, value);
    return this;
  }

  /**
   * Sets the timeout of one request, response included. Default 10 s.
   *
   * @param timeout a positive duration
   * @return this builder
   */
  public OtlpHttpSinkBuilder setTimeout(Duration timeout) {
    this.timeout = positive(timeout, "timeout");
    return this;
  }

  /**
   * Sets the TCP connect timeout. Default 10 s.
   *
   * @param connectTimeout a positive duration
   * @return this builder
   */
  public OtlpHttpSinkBuilder setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = positive(connectTimeout, "connectTimeout");
    return this;
  }

  /**
   * Sets how many times a batch is sent at most, the first attempt included; 1 turns retries off.
   * Default {@value #DEFAULT_MAX_ATTEMPTS}.
   *
   * @param maxAttempts between 1 and 100
   * @return this builder
   */
  public OtlpHttpSinkBuilder setMaxAttempts(int maxAttempts) {
    if (maxAttempts < 1 || maxAttempts > 100) {
      throw new IllegalArgumentException("maxAttempts must be between 1 and 100: " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    return this;
  }

  /**
   * Sets the backoff before the first retry; later ones grow by the multiplier up to {@code
   * maxBackoff}, each drawn uniformly below that bound (full jitter). Defaults 1 s, 5 s, 1.5.
   *
   * @param initialBackoff a positive duration
   * @param maxBackoff a duration not shorter than {@code initialBackoff}
   * @param multiplier at least 1.0
   * @return this builder
   */
  public OtlpHttpSinkBuilder setBackoff(
      Duration initialBackoff, Duration maxBackoff, double multiplier) {
    positive(initialBackoff, "initialBackoff");
    positive(maxBackoff, "maxBackoff");
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must not be shorter than initialBackoff "
              + initialBackoff
              + ": "
              + maxBackoff);
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException(
          "multiplier must be a finite number >= 1.0: " + multiplier);
    }
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.backoffMultiplier = multiplier;
    return this;
  }

  /**
   * Sets the deadline for retries of one batch, counted from {@code accept}: no retry starts after
   * it. Default 60 s.
   *
   * @param maxRetryDuration a positive duration
   * @return this builder
   */
  public OtlpHttpSinkBuilder setMaxRetryDuration(Duration maxRetryDuration) {
    this.maxRetryDuration = positive(maxRetryDuration, "maxRetryDuration");
    return this;
  }

  /**
   * Sets how many batches may be in flight (retries included). When all slots are busy {@code
   * accept} fails at once, which the receiver turns into backpressure on the guest. Default {@value
   * #DEFAULT_MAX_CONCURRENT_REQUESTS}.
   *
   * @param maxConcurrentRequests between 1 and 65536
   * @return this builder
   */
  public OtlpHttpSinkBuilder setMaxConcurrentRequests(int maxConcurrentRequests) {
    if (maxConcurrentRequests < 1 || maxConcurrentRequests > 65536) {
      throw new IllegalArgumentException(
          "maxConcurrentRequests must be between 1 and 65536: " + maxConcurrentRequests);
    }
    this.maxConcurrentRequests = maxConcurrentRequests;
    return this;
  }

  /**
   * Builds the sink.
   *
   * @return a new sink
   */
  public OtlpHttpSink build() {
    return new OtlpHttpSink(copy());
  }

  private OtlpHttpSinkBuilder copy() {
    OtlpHttpSinkBuilder c = new OtlpHttpSinkBuilder();
    c.endpoint = endpoint;
    c.headers.putAll(headers);
    c.timeout = timeout;
    c.connectTimeout = connectTimeout;
    c.maxAttempts = maxAttempts;
    c.initialBackoff = initialBackoff;
    c.maxBackoff = maxBackoff;
    c.backoffMultiplier = backoffMultiplier;
    c.maxRetryDuration = maxRetryDuration;
    c.maxConcurrentRequests = maxConcurrentRequests;
    return c;
  }

  String tracesUrl() {
    return url(Signal.TRACES);
  }

  /** The collector's base URL: the endpoint without a trailing slash or signal path. */
  String baseUrl() {
    String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    for (Signal signal : Signal.values()) {
      if (base.endsWith(signal.httpPath())) {
        return base.substring(0, base.length() - signal.httpPath().length());
      }
    }
    return base;
  }

  /** The URL batches of {@code signal} are posted to. */
  String url(Signal signal) {
    return baseUrl() + signal.httpPath();
  }

  Map<String, String> headers() {
    return Collections.unmodifiableMap(headers);
  }

  Duration timeout() {
    return timeout;
  }

  Duration connectTimeout() {
    return connectTimeout;
  }

  int maxAttempts() {
    return maxAttempts;
  }

  Duration initialBackoff() {
    return initialBackoff;
  }

  Duration maxBackoff() {
    return maxBackoff;
  }

  double backoffMultiplier() {
    return backoffMultiplier;
  }

  Duration maxRetryDuration() {
    return maxRetryDuration;
  }

  int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  String describe() {
    StringJoiner headerText = new StringJoiner(", ", "[", "]");
    // Note: header values may hold credentials, so only names are printed.
    headers.keySet().forEach(name -> headerText.add(name + "=OBFUSCATED"));
    return new StringJoiner(", ", "{", "}")
        .add("endpoint=" + tracesUrl())
        .add("headers=" + headerText)
        .add("timeout=" + timeout)
        .add("connectTimeout=" + connectTimeout)
        .add("maxAttempts=" + maxAttempts)
        .add("initialBackoff=" + initialBackoff)
        .add("maxBackoff=" + maxBackoff)
        .add("backoffMultiplier=" + backoffMultiplier)
        .add("maxRetryDuration=" + maxRetryDuration)
        .add("maxConcurrentRequests=" + maxConcurrentRequests)
        .toString();
  }

  @Override
  public String toString() {
    return "OtlpHttpSinkBuilder" + describe();
  }

  private static Duration positive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }
}
