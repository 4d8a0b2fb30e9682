package dev.spantransport.sink.internal;

import dev.spantransport.sink.BatchRejectedException;
import dev.spantransport.sink.OtlpBatch;
import dev.spantransport.text.RateLimitedLogger;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * The decode-then-export step that every sink backed by an OpenTelemetry exporter shares, with one
 * set of failure rules: a payload that cannot be decoded, or an exporter that throws a {@link
 * BatchRejectedException}, refuses the batch for good; an exporter that throws anything else or
 * returns no result makes the guest resend.
 *
 * <p>This class is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
public final class ExporterHandOff {

  /** Decodes a batch's payload into what the exporter takes; any exception means "undecodable". */
  @FunctionalInterface
  public interface Decoder<T> {
    /**
     * Decodes the batch.
     *
     * @param batch the batch
     * @return the decoded, identity-tagged items
     * @throws Exception if the payload cannot be decoded
     */
    T decode(OtlpBatch batch) throws Exception;
  }

  private ExporterHandOff() {}

  /**
   * Decodes {@code batch} and exports the result.
   *
   * @param batch the batch
   * @param what what the payload holds, for messages ("spans", "logs", "metrics")
   * @param decoder decodes and tags the payload
   * @param exporter the exporter's {@code export}
   * @param exporterName how logs name the exporter
   * @param logger the sink's logger
   * @return the exporter's result, or a failed result by the rules above
   */
  public static <T> CompletableResultCode export(
      OtlpBatch batch,
      String what,
      Decoder<T> decoder,
      Function<T, CompletableResultCode> exporter,
      Object exporterName,
      RateLimitedLogger logger) {
    T decoded;
    try {
      decoded = decoder.decode(batch);
    } catch (Exception e) {
      logger.log(
          Level.WARNING,
          "dropping undecodable " + what + " batch " + batch.sequence() + " from " + batch.peer(),
          e);
      return CompletableResultCode.ofExceptionalFailure(
          new BatchRejectedException(
              "cannot decode the OTLP " + what + " payload: " + e.getMessage(), e));
    }
    CompletableResultCode result;
    try {
      result = exporter.apply(decoded);
    } catch (BatchRejectedException e) {
      return CompletableResultCode.ofExceptionalFailure(e);
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "exporter " + exporterName + " threw", e);
      return CompletableResultCode.ofFailure();
    }
    return result == null ? CompletableResultCode.ofFailure() : result;
  }
}
