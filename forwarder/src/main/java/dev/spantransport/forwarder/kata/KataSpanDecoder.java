package dev.spantransport.forwarder.kata;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.spantransport.forwarder.kata.internal.KataBincodeReader;
import dev.spantransport.forwarder.kata.internal.KataSerdeJsonReader;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.util.Objects;

/**
 * Decodes one Kata agent span payload into an OpenTelemetry Java {@link SpanData}. Two wire forms
 * of the Rust {@code opentelemetry} crate's {@code sdk::export::trace::SpanData} (feature {@code
 * serialize}) are accepted, and {@link #decode} tells them apart by themselves:
 *
 * <ul>
 *   <li><b>bincode</b>, what Kata agents up to 3.28 send: kata-containers' {@code
 *       src/agent/vsock-exporter/src/lib.rs} writes {@code bincode::serialize(&span)} (bincode
 *       1.3.3: little-endian, fixed-width integers) of the opentelemetry <b>0.14</b> {@code
 *       SpanData}. The layout, field by field and with its Rust sources, is in {@code
 *       forwarder/KATA-FORMAT.md}. It is read by {@code internal.KataBincodeReader}: every length
 *       prefix is checked against the bytes left before anything is allocated, enum indices, bools
 *       and Option tags are validated, UTF-8 is checked, and trailing bytes are rejected.
 *   <li><b>serde_json</b> of the opentelemetry <b>0.17</b> {@code SpanData}, what Kata agents from
 *       3.29 send ({@code serde_json::to_vec}), read by {@code internal.KataSerdeJsonReader}.
 * </ul>
 *
 * <p>Format rule: a payload whose first byte that is not whitespace is <code>'{'</code> is read as
 * JSON, falling back to bincode if that fails; any other payload is read as bincode. See {@link
 * #decode} for why this is safe.
 *
 * <p>Both forms map to OTel Java by the same rules ({@code internal.RustSpanMapping}): ids, flags,
 * trace state (front first), remote flag, kind, name, times, attributes of every Value type
 * including arrays, events, links, status (a message only for Error), resource (plus a default
 * {@code service.name}), instrumentation scope if present, and total counts = recorded + dropped.
 *
 * <p>The serde_json shape this reads, field by field with the Rust source of each rule, and the
 * tolerances for older releases are in {@code internal.KataSerdeJsonReader}.
 *
 * <p>Thread-safe: one decoder may serve many connections.
 */
public final class KataSpanDecoder {

  /** The default service name, as kata-trace-forwarder's {@code --trace-name} default. */
  public static final String DEFAULT_SERVICE_NAME = "kata-agent";

  /** Deepest JSON nesting accepted; a real span needs 9 levels (an array attribute in an event). */
  public static final int MAX_NESTING_DEPTH = 32;

  /** Longest JSON number accepted in characters; a u128 has at most 39 digits. */
  public static final int MAX_NUMBER_LENGTH = 64;

  private final String defaultServiceName;
  private final int maxPayloadLength;
  private final JsonFactory factory;

  /**
   * Creates a decoder that accepts payloads up to {@link
   * KataFrameReader#DEFAULT_MAX_PAYLOAD_LENGTH}.
   *
   * @param defaultServiceName the {@code service.name} given to spans whose resource has none
   *     (kata-trace-forwarder's {@code --trace-name}, default {@value #DEFAULT_SERVICE_NAME})
   */
  public KataSpanDecoder(String defaultServiceName) {
    this(defaultServiceName, KataFrameReader.DEFAULT_MAX_PAYLOAD_LENGTH);
  }

  /**
   * Creates a decoder.
   *
   * @param defaultServiceName the {@code service.name} given to spans whose resource has none
   * @param maxPayloadLength the largest payload accepted in bytes, at least 1; also bounds every
   *     string and name inside it
   */
  public KataSpanDecoder(String defaultServiceName, int maxPayloadLength) {
    Objects.requireNonNull(defaultServiceName, "defaultServiceName");
    if (defaultServiceName.isEmpty()) {
      throw new IllegalArgumentException("defaultServiceName must not be empty");
    }
    if (maxPayloadLength < 1) {
      throw new IllegalArgumentException(
          "maxPayloadLength must be at least 1: " + maxPayloadLength);
    }
    this.defaultServiceName = defaultServiceName;
    this.maxPayloadLength = maxPayloadLength;
    StreamReadConstraints constraints =
        StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING_DEPTH)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .maxStringLength(maxPayloadLength)
            .maxNameLength(maxPayloadLength)
            .maxDocumentLength(maxPayloadLength)
            // Every token is at least one byte: the token count is bounded by the length.
            .maxTokenCount(maxPayloadLength)
            .build();
    this.factory = JsonFactory.builder().streamReadConstraints(constraints).build();
  }

  /** Returns the service name given to spans whose resource has none. */
  public String defaultServiceName() {
    return defaultServiceName;
  }

  /**
   * Decodes one span payload, in either wire form.
   *
   * <p>Format rule: if the first byte that is not JSON whitespace (space, tab, CR, LF) is <code>'{'
   * </code>, the payload is read as serde_json; if that fails, it is read as bincode, and if that
   * fails too the JSON error is reported (with the bincode error attached as suppressed). Any other
   * payload is read as bincode only. This is safe because a bincode {@code SpanData} starts with
   * the trace id as 16 little-endian bytes: its low byte is random, so roughly one span in 256
   * starts with 0x7B (<code>'{'</code>); such a payload is not valid JSON (binary ids, length
   * prefixes with zero bytes) and falls through to the bincode reader. A serde_json payload is
   * never read as bincode unless it is also invalid JSON.
   *
   * @param payload the array holding the payload
   * @param offset index of the payload's first byte
   * @param length payload length in bytes
   * @return the span, ended, with the payload's resource (plus {@code service.name} if missing)
   * @throws KataFrameException if the payload is longer than the limit, or is neither a well-formed
   *     serde_json nor a well-formed bincode {@code SpanData}; the message names the field path and
   *     the value seen
   */
  public SpanData decode(byte[] payload, int offset, int length) throws KataFrameException {
    Objects.checkFromIndexSize(offset, length, payload.length);
    if (length > maxPayloadLength) {
      throw new KataFrameException(
          "kata span payload must be at most " + maxPayloadLength + " bytes: " + length);
    }
    if (length == 0) {
      throw new KataFrameException("kata span payload must not be empty: 0 bytes");
    }
    if (!looksLikeJson(payload, offset, length)) {
      return decodeBincode(payload, offset, length);
    }
    try {
      return decodeJson(payload, offset, length);
    } catch (KataFrameException jsonError) {
      try {
        return decodeBincode(payload, offset, length);
      } catch (KataFrameException bincodeError) {
        jsonError.addSuppressed(bincodeError);
        throw jsonError;
      }
    }
  }

  /** True if the first byte that is not JSON whitespace is an opening brace. */
  static boolean looksLikeJson(byte[] payload, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      byte b = payload[i];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return b == '{';
      }
    }
    return false;
  }

  private SpanData decodeBincode(byte[] payload, int offset, int length) throws KataFrameException {
    try {
      return new KataBincodeReader(payload, offset, length, defaultServiceName).readSpan();
    } catch (KataFrameException e) {
      throw e;
    } catch (RuntimeException e) {
      // Defence in depth: an OTel builder refusing a value must close one connection, not more.
      throw new KataFrameException("kata span payload could not be decoded: " + e, e);
    }
  }

  private SpanData decodeJson(byte[] json, int offset, int length) throws KataFrameException {
    try (JsonParser p = factory.createParser(json, offset, length)) {
      return new KataSerdeJsonReader(defaultServiceName).read(p);
    } catch (KataFrameException e) {
      throw e;
    } catch (StreamConstraintsException e) {
      throw new KataFrameException("kata span JSON exceeds a limit: " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
      throw new KataFrameException(
          "kata span payload must be well-formed JSON, error at byte "
              + at
              + ": "
              + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new KataFrameException("kata span payload could not be read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // Defence in depth: an OTel builder refusing a value must close one connection, not more.
      throw new KataFrameException("kata span payload could not be decoded: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "KataSpanDecoder{defaultServiceName="
        + defaultServiceName
        + ", maxPayloadLength="
        + maxPayloadLength
        + "}";
  }
}
