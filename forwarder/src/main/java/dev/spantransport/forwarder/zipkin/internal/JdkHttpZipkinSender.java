package dev.spantransport.forwarder.zipkin.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import zipkin2.reporter.BaseHttpSender;
import zipkin2.reporter.Encoding;
import zipkin2.reporter.HttpEndpointSuppliers;

/**
 * A zipkin-reporter HTTP sender on the JDK's {@link HttpClient}, through the library's own
 * extension point for HTTP senders ({@link BaseHttpSender}: endpoint, message encoding and close
 * come from the library). zipkin-reporter publishes no sender on the JDK client, and its {@code
 * HttpURLConnection} sender reports a refusal only as an exception message; this one throws a
 * {@link ZipkinRefusedException} carrying the status, so a caller can tell a refusal for good from
 * an outage.
 *
 * <p>{@link #send} blocks its caller until the collector answers or the timeout passes; several
 * threads may send at once.
 *
 * <p>This class is internal and may change without notice.
 */
public final class JdkHttpZipkinSender extends BaseHttpSender<URI, byte[]> {

  private static final int BODY_SNIPPET_BYTES = 200;

  private final Duration timeout;
  private final HttpClient client;

  /**
   * Creates a sender of JSON v2 messages.
   *
   * @param endpoint the collector's spans URL, e.g. {@code http://zipkin:9411/api/v2/spans}
   * @param timeout how long one POST may take, connect included
   * @param clientExecutor where the HTTP client runs its own short tasks
   */
  public JdkHttpZipkinSender(String endpoint, Duration timeout, Executor clientExecutor) {
    super(Encoding.JSON, HttpEndpointSuppliers.constantFactory(), endpoint);
    this.timeout = timeout;
    // HTTP/1.1: every Zipkin server speaks it, and it spares each new connection the client's
    // h2c upgrade attempt.
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .executor(clientExecutor)
            .build();
  }

  @Override
  protected URI newEndpoint(String endpoint) {
    return URI.create(endpoint);
  }

  @Override
  protected byte[] newBody(List<byte[]> encodedSpans) {
    return encoding.encode(encodedSpans);
  }

  @Override
  protected void postSpans(URI endpoint, byte[] body) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", encoding.mediaType())
            // Keeps an instrumented proxy in front of Zipkin from tracing this request.
            .header("b3", "0")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while posting to " + endpoint);
    }
    int status = response.statusCode();
    try (InputStream answer = response.body()) {
      if (status / 100 == 2) {
        answer.transferTo(OutputStream.nullOutputStream()); // keeps the connection reusable
        return;
      }
      // Only the start of an error answer is read: whatever the collector sends, memory is bounded.
      String text = new String(answer.readNBytes(BODY_SNIPPET_BYTES), StandardCharsets.UTF_8);
      throw new ZipkinRefusedException(
          status, "HTTP " + status + (text.isBlank() ? "" : ": " + text.strip()));
    }
  }
}
