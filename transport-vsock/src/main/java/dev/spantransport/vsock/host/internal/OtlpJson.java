package dev.spantransport.vsock.host.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.spantransport.spi.Signal;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * OTLP/JSON to and from OTLP protobuf, for the HTTP ingress.
 *
 * <p>OTLP/JSON is protobuf's canonical JSON mapping with one exception: {@code traceId}, {@code
 * spanId} and {@code parentSpanId} are hex strings, not base64. So the request is parsed into a
 * tree first, every such value is rewritten from hex to base64, and the tree then goes through
 * protobuf-java's {@link JsonFormat} on the {@code opentelemetry-proto} classes, which also takes
 * enums as numbers or names, int64 as strings or numbers, and both lowerCamelCase and the original
 * field names. Unknown fields are ignored, as the OTLP specification asks of receivers.
 *
 * <p>This path allocates (a JSON tree and the generated message) and is meant for SDKs that only
 * speak JSON; protobuf requests never come here.
 *
 * <p>This class is internal and may change without notice.
 */
final class OtlpJson {

  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  /** Nesting deeper than this is refused before parsing (the tree parser recurses). */
  static final int MAX_DEPTH = 64;

  private OtlpJson() {}

  /**
   * Converts an OTLP/JSON {@code ExportTraceServiceRequest} to its protobuf encoding.
   *
   * @throws IllegalArgumentException with a message for the client if the JSON is not a valid
   *     request
   */
  static byte[] traceRequestToProtobuf(byte[] json, int offset, int length) {
    return requestToProtobuf(Signal.TRACES, json, offset, length);
  }

  /**
   * Converts an OTLP/JSON request of {@code signal} to its protobuf encoding.
   *
   * @throws IllegalArgumentException with a message for the client if the JSON is not a valid
   *     request
   */
  static byte[] requestToProtobuf(Signal signal, byte[] json, int offset, int length) {
    String text = new String(json, offset, length, StandardCharsets.UTF_8);
    checkDepth(text);
    JsonElement tree;
    try {
      tree = JsonParser.parseString(text);
    } catch (JsonParseException | IllegalStateException e) {
      throw new IllegalArgumentException("request body is not valid JSON: " + message(e), e);
    }
    if (!tree.isJsonObject()) {
      throw new IllegalArgumentException("request body must be a JSON object");
    }
    hexIdsToBase64(tree);
    Message.Builder request;
    switch (signal) {
      case LOGS:
        request = ExportLogsServiceRequest.newBuilder();
        break;
      case METRICS:
        request = ExportMetricsServiceRequest.newBuilder();
        break;
      default:
        request = ExportTraceServiceRequest.newBuilder();
    }
    try {
      PARSER.merge(tree.toString(), request);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new IllegalArgumentException(
          "request body is not an OTLP/JSON " + signal.requestName() + ": " + message(e), e);
    }
    return request.build().toByteArray();
  }

  /** Returns the JSON of an {@code ExportTraceServiceResponse}; {@code {}} when all was taken. */
  static byte[] traceResponse(long rejectedSpans, String errorMessage) {
    ExportTraceServiceResponse response = traceResponseMessage(rejectedSpans, errorMessage);
    try {
      return PRINTER.print(response).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e); // cannot happen for this message type
    }
  }

  /** Returns the protobuf of an {@code ExportTraceServiceResponse}. */
  static byte[] traceResponseProtobuf(long rejectedSpans, String errorMessage) {
    return traceResponseMessage(rejectedSpans, errorMessage).toByteArray();
  }

  private static ExportTraceServiceResponse traceResponseMessage(
      long rejectedSpans, String errorMessage) {
    ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
    if (rejectedSpans > 0 || !errorMessage.isEmpty()) {
      response.setPartialSuccess(
          ExportTracePartialSuccess.newBuilder()
              .setRejectedSpans(rejectedSpans)
              .setErrorMessage(errorMessage));
    }
    return response.build();
  }

  /**
   * Returns the {@code Export*ServiceResponse} of {@code signal}, as JSON or protobuf, with a
   * partial success when items were rejected or there is a message.
   */
  static byte[] response(Signal signal, boolean json, long rejected, String errorMessage) {
    Message response;
    boolean partial = rejected > 0 || !errorMessage.isEmpty();
    switch (signal) {
      case LOGS:
        {
          ExportLogsServiceResponse.Builder b = ExportLogsServiceResponse.newBuilder();
          if (partial) {
            b.setPartialSuccess(
                ExportLogsPartialSuccess.newBuilder()
                    .setRejectedLogRecords(rejected)
                    .setErrorMessage(errorMessage));
          }
          response = b.build();
          break;
        }
      case METRICS:
        {
          ExportMetricsServiceResponse.Builder b = ExportMetricsServiceResponse.newBuilder();
          if (partial) {
            b.setPartialSuccess(
                ExportMetricsPartialSuccess.newBuilder()
                    .setRejectedDataPoints(rejected)
                    .setErrorMessage(errorMessage));
          }
          response = b.build();
          break;
        }
      default:
        response = traceResponseMessage(rejected, errorMessage);
    }
    if (!json) {
      return response.toByteArray();
    }
    try {
      return PRINTER.print(response).getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e); // cannot happen for these message types
    }
  }

  /** Returns the JSON form of a {@code google.rpc.Status} carrying {@code message}. */
  static byte[] status(int code, String message) {
    JsonObject status = new JsonObject();
    status.addProperty("code", code);
    status.addProperty("message", message);
    return status.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Refuses nesting deeper than {@link #MAX_DEPTH} by counting brackets outside strings, so that a
   * hostile body cannot drive the recursive tree parser into a stack overflow.
   */
  private static void checkDepth(String text) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        if (++depth > MAX_DEPTH) {
          throw new IllegalArgumentException(
              "JSON nesting must be at most " + MAX_DEPTH + " levels deep");
        }
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
  }

  private static void hexIdsToBase64(JsonElement element) {
    if (element.isJsonArray()) {
      JsonArray array = element.getAsJsonArray();
      for (JsonElement e : array) {
        hexIdsToBase64(e);
      }
    } else if (element.isJsonObject()) {
      for (Map.Entry<String, JsonElement> field : element.getAsJsonObject().entrySet()) {
        JsonElement value = field.getValue();
        if (isIdField(field.getKey()) && value.isJsonPrimitive()) {
          field.setValue(new JsonPrimitive(hexToBase64(field.getKey(), value.getAsString())));
        } else {
          hexIdsToBase64(value);
        }
      }
    }
  }

  private static boolean isIdField(String name) {
    switch (name) {
      case "traceId":
      case "spanId":
      case "parentSpanId":
      case "trace_id":
      case "span_id":
      case "parent_span_id":
        return true;
      default:
        return false;
    }
  }

  private static String hexToBase64(String field, String hex) {
    if ((hex.length() & 1) != 0) {
      throw new IllegalArgumentException(
          field + " must be an even number of hex digits: \"" + clip(hex) + "\"");
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      int hi = Character.digit(hex.charAt(2 * i), 16);
      int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException(field + " must be hex digits: \"" + clip(hex) + "\"");
      }
      bytes[i] = (byte) ((hi << 4) | lo);
    }
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  private static String message(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getMessage() == null) {
      cause = cause.getCause();
    }
    return String.valueOf(cause.getMessage());
  }
}
