package dev.spantransport.tests.adversity;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Guest text built to attack a terminal or a log: ANSI colour codes, a newline followed by a forged
 * guest header line, a C1 CSI that clears the screen, CR, BEL, DEL and a backslash. Carried in
 * every place a guest controls: span, event and attribute names and values, status messages, the
 * service name, the agent name, and values a decoder quotes in its error message.
 */
public final class HostileText {

  /** The forged header line an injected newline would start. */
  public static final String FORGED_HEADER = "guest hvsock /forged/path · service forged";

  /** The attack: every kind of control character, a newline and a forged header line. */
  public static final String INJECTION =
      "\u001b[31mred\u001b[0m\n" + FORGED_HEADER + "\n\u009b2J\r\u0007\u007f\u0000\\e end";

  /** How {@link #INJECTION}'s colour prefix prints once escaped. */
  public static final String ESCAPED_PREFIX = "\\e[31mred\\e[0m\\n" + FORGED_HEADER + "\\n";

  private HostileText() {}

  /**
   * A Kata agent span in the agent's serde_json shape, with {@link #INJECTION} as its name, an
   * attribute key and value, an event name, its status message and its service name.
   */
  public static byte[] kataJsonSpan(long traceId, long spanId) {
    String s = json(INJECTION);
    String json =
        "{\"span_context\":{\"trace_id\":"
            + traceId
            + ",\"span_id\":"
            + spanId
            + ",\"trace_flags\":1,\"is_remote\":false,\"trace_state\":null},"
            + "\"parent_span_id\":0,\"span_kind\":\"Server\",\"name\":"
            + s
            + ",\"start_time\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":0},"
            + "\"end_time\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":2500000},"
            + "\"attributes\":{\"map\":{"
            + s
            + ":{\"String\":"
            + s
            + "}},\"evict_list\":[],\"max_len\":128,\"dropped_count\":0},"
            + "\"events\":{\"queue\":[{\"name\":"
            + s
            + ",\"timestamp\":{\"secs_since_epoch\":1700000000,\"nanos_since_epoch\":1000},"
            + "\"attributes\":[{\"key\":"
            + s
            + ",\"value\":{\"String\":"
            + s
            + "}}],\"dropped_attributes_count\":0}],\"max_len\":128,\"dropped_count\":0},"
            + "\"links\":{\"queue\":null,\"max_len\":128,\"dropped_count\":0},"
            + "\"status_code\":\"Error\",\"status_message\":"
            + s
            + ",\"resource\":{\"attrs\":{\"service.name\":{\"String\":"
            + s
            + "}}}}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A Kata agent span the decoder refuses, with {@link #INJECTION} in the value its error message
   * quotes (an unknown status code).
   */
  public static byte[] kataJsonSpanWithBadStatus() {
    String json = new String(kataJsonSpan(4660, 99), StandardCharsets.UTF_8);
    return json.replace("\"status_code\":\"Error\"", "\"status_code\":" + json(INJECTION))
        .getBytes(StandardCharsets.UTF_8);
  }

  /** A Kata agent frame: the payload after its 8-byte big-endian length. */
  public static byte[] kataFrame(byte[] payload) {
    return ByteBuffer.allocate(8 + payload.length).putLong(payload.length).put(payload).array();
  }

  /**
   * An OTLP request with one span carrying {@link #INJECTION} as its name, an attribute key and
   * value, an event name and attribute, its status message and its resource's service name.
   */
  public static byte[] otlpSpan(long traceLow, long spanId) {
    KeyValue attribute =
        KeyValue.newBuilder()
            .setKey(INJECTION)
            .setValue(AnyValue.newBuilder().setStringValue(INJECTION))
            .build();
    Span span =
        Span.newBuilder()
            .setTraceId(
                ByteString.copyFrom(ByteBuffer.allocate(16).putLong(7).putLong(traceLow).array()))
            .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(spanId).array()))
            .setName(INJECTION)
            .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
            .setStartTimeUnixNano(1_700_000_000_000_000_000L)
            .setEndTimeUnixNano(1_700_000_000_003_000_000L)
            .addAttributes(attribute)
            .addEvents(
                Span.Event.newBuilder()
                    .setName(INJECTION)
                    .setTimeUnixNano(1_700_000_000_001_000_000L)
                    .addAttributes(attribute))
            .setStatus(
                Status.newBuilder()
                    .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                    .setMessage(INJECTION))
            .build();
    Resource resource =
        Resource.newBuilder()
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("service.name")
                    .setValue(AnyValue.newBuilder().setStringValue(INJECTION)))
            .addAttributes(attribute)
            .build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder()
                .setResource(resource)
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
        .build()
        .toByteArray();
  }

  /**
   * Returns where the first raw control character is in output meant for a terminal: a byte below
   * 0x20 other than the line feed ending each line, DEL, or (decoding the bytes as UTF-8) a C1
   * control, LINE SEPARATOR or PARAGRAPH SEPARATOR; or null when there is none. Output that is not
   * UTF-8 is reported too.
   */
  public static String firstRawControl(byte[] output) {
    for (int i = 0; i < output.length; i++) {
      int b = output[i] & 0xff;
      if ((b < 0x20 && b != '\n') || b == 0x7f) {
        return String.format("byte 0x%02x at offset %d: ...%s", b, i, around(output, i));
      }
    }
    CharBuffer text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(output));
    } catch (CharacterCodingException e) {
      return "output is not UTF-8: " + e;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c >= 0x80 && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
        return String.format("character U+%04X at char %d", (int) c, i);
      }
    }
    return null;
  }

  private static String around(byte[] output, int i) {
    int from = Math.max(0, i - 60);
    int to = Math.min(output.length, i + 20);
    return new String(output, from, to - from, StandardCharsets.UTF_8)
        .replace("\u001b", "<ESC>")
        .replace("\n", "<LF>")
        .replace("\r", "<CR>");
  }

  /** A JSON string literal for {@code s}, every character below 0x20 and 0x7f..0x9f as \\u. */
  private static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
