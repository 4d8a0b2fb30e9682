package dev.spantransport.tests.fuzz;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.spantransport.codec.OtlpSpanEncoder;
import dev.spantransport.wire.ClientHello;
import dev.spantransport.wire.ErrorCode;
import dev.spantransport.wire.FrameDescriptor;
import dev.spantransport.wire.FrameType;
import dev.spantransport.wire.FrameWriter;
import dev.spantransport.wire.ServerHello;
import dev.spantransport.wire.SessionId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generates the checked-in seed corpus of the fuzz tests from real valid inputs: frames written by
 * {@link FrameWriter}, OTLP payloads encoded from {@link SampleSpans}, and the Kata JSON fixtures
 * of the forwarder module (serde_json and bincode). Files land in Jazzer's layout, {@code
 * src/test/resources/<package>/<TestClass>Inputs/<method>/<name>}.
 *
 * <p>Regenerate from the transport-tests directory with {@code mvn -o -q test-compile exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.spantransport.tests.fuzz.SeedCorpus}; {@link
 * SeedCorpusTest} fails while the checked-in corpus differs from what this writes.
 */
public final class SeedCorpus {

  static final Path RESOURCES =
      Paths.get("src", "test", "resources", "dev", "spantransport", "tests", "fuzz");
  static final Path KATA_FIXTURES =
      Paths.get("..", "forwarder", "src", "test", "resources", "kata");

  /** An OTLP/JSON request as OpenTelemetry's JSON exporters write it: hex ids, enum numbers. */
  private static final String OTLP_JSON =
      "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
          + "\"value\":{\"stringValue\":\"node\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
          + "\"s\",\"version\":\"1\"},\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
          + "\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"eee19b7ec3c1b173\","
          + "\"name\":\"GET /\",\"kind\":2,\"startTimeUnixNano\":\"1544712660000000000\","
          + "\"endTimeUnixNano\":1544712661000000000,\"attributes\":[{\"key\":\"n\","
          + "\"value\":{\"intValue\":\"7\"}}],\"events\":[{\"timeUnixNano\":\"1544712660500000000\","
          + "\"name\":\"e\"}],\"status\":{\"code\":1}}]}]}]}";

  private SeedCorpus() {}

  /** Writes the corpus below the module directory given as the only argument (default "."). */
  public static void main(String[] args) throws IOException {
    Path module = Paths.get(args.length > 0 ? args[0] : ".");
    for (Map.Entry<Path, byte[]> seed : generate(module).entrySet()) {
      Path file = module.resolve(seed.getKey());
      Files.createDirectories(file.getParent());
      Files.write(file, seed.getValue());
    }
  }

  /** Returns each seed's path relative to the module directory and its bytes. */
  static Map<Path, byte[]> generate(Path module) throws IOException {
    Map<Path, byte[]> seeds = new TreeMap<>();
    byte[] otlp = new OtlpSpanEncoder().encode(SampleSpans.batch());
    byte[] otlpSingle = new OtlpSpanEncoder().encode(SampleSpans.single());

    // Frame reader: a whole conversation, split several ways; an unknown type; a too-long frame.
    String frames = "FrameReaderFuzzTestInputs/chunkedReadMatchesWholeRead/";
    byte[] conversation = conversation(otlpSingle);
    put(
        seeds,
        frames + "conversation-whole",
        new FrameReaderFuzzTest.Input(65535, new int[0], conversation).seed());
    put(
        seeds,
        frames + "conversation-bytewise",
        new FrameReaderFuzzTest.Input(65535, new int[] {1}, conversation).seed());
    put(
        seeds,
        frames + "conversation-splits",
        new FrameReaderFuzzTest.Input(65535, new int[] {3, 16, 7, 256}, conversation).seed());
    ByteArrayOutputStream unknown = new ByteArrayOutputStream();
    byte[] header = new byte[FrameDescriptor.HEADER_LENGTH];
    FrameWriter.writeHeader(header, 0, 0x42, 7, 5);
    unknown.writeBytes(header);
    unknown.writeBytes(new byte[] {1, 2, 3, 4, 5});
    byte[] ack = new byte[FrameDescriptor.HEADER_LENGTH];
    FrameWriter.writeAck(ack, 0, 3);
    unknown.writeBytes(ack);
    put(
        seeds,
        frames + "unknown-type-skipped",
        new FrameReaderFuzzTest.Input(64, new int[] {2, 9}, unknown.toByteArray()).seed());
    byte[] spans = spansFrame(1, otlp);
    put(
        seeds,
        frames + "spans-over-limit",
        new FrameReaderFuzzTest.Input(64, new int[] {5}, spans).seed());

    // Handshake payloads, each decoder.
    String hs = "HandshakeFuzzTestInputs/decodeIsBoundedAndRoundTrips/";
    ClientHello hello =
        ClientHello.create(
            SessionId.of(0x0123456789abcdefL, 0xfedcba9876543210L), "span-transport-java/0.1.0");
    byte[] helloFrame = new byte[hello.frameLength()];
    FrameWriter.writeClientHello(helloFrame, 0, hello);
    put(
        seeds,
        hs + "client-hello",
        HandshakeFuzzTest.seed(HandshakeFuzzTest.CLIENT_HELLO, payload(helloFrame)));
    byte[] serverFrame = new byte[ServerHello.FRAME_LENGTH];
    FrameWriter.writeServerHello(serverFrame, 0, 41, ServerHello.create(1, 0, 8 << 20, 65536, 16));
    put(
        seeds,
        hs + "server-hello",
        HandshakeFuzzTest.seed(HandshakeFuzzTest.SERVER_HELLO, payload(serverFrame)));
    String message = "frame length must be at most 8388608 bytes: 9000000";
    byte[] errorFrame = new byte[FrameWriter.errorFrameLength(message)];
    FrameWriter.writeError(errorFrame, 0, 0, ErrorCode.FRAME_TOO_LARGE, true, message);
    put(seeds, hs + "error", HandshakeFuzzTest.seed(HandshakeFuzzTest.ERROR, payload(errorFrame)));

    // OTLP payloads for the decoder and the rewriter.
    for (String target :
        new String[] {
          "OtlpDecoderFuzzTestInputs/decodeAgreesWithCountAndRoundTrips/",
          "OtlpResourceRewriterFuzzTestInputs/rewriteKeepsSpansAndStampsIdentity/"
        }) {
      put(seeds, target + "batch", otlp);
      put(seeds, target + "single", otlpSingle);
    }

    // Kata: each fixture framed, all of them in one stream, and each as a raw payload.
    String kata = "KataFuzzTestInputs/readAndDecodeRejectOnlyWithKataFrameException/";
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> fixture : kataFixtures(module).entrySet()) {
      byte[] json = fixture.getValue();
      byte[] framed = kataFrame(json);
      all.writeBytes(framed);
      put(
          seeds,
          kata + "framed-" + fixture.getKey(),
          KataFuzzTest.seed(false, 65536, new int[0], framed));
      put(
          seeds,
          kata + "raw-" + fixture.getKey(),
          KataFuzzTest.seed(true, 65536, new int[0], json));
    }
    put(
        seeds,
        kata + "stream-splits",
        KataFuzzTest.seed(false, 65536, new int[] {1, 8, 100}, all.toByteArray()));

    // OTLP/HTTP ingress: each content type and encoding, chunked, pipelined, refusals.
    String http = "HttpIngressFuzzTestInputs/everyConnectionEndsCleanlyWithWellFormedAnswers/";
    byte[] protobufPost = httpPost("application/x-protobuf", "", otlpSingle);
    put(seeds, http + "protobuf", HttpIngressFuzzTest.seed(4096, 0, protobufPost));
    put(seeds, http + "protobuf-bytewise", HttpIngressFuzzTest.seed(1, 0, protobufPost));
    put(
        seeds,
        http + "json",
        HttpIngressFuzzTest.seed(
            4096, 0, httpPost("application/json", "", OTLP_JSON.getBytes(UTF_8))));
    put(
        seeds,
        http + "gzip",
        HttpIngressFuzzTest.seed(
            4096, 0, httpPost("application/x-protobuf", "Content-Encoding: gzip\r\n", gzip(otlp))));
    ByteArrayOutputStream pipelined = new ByteArrayOutputStream();
    pipelined.writeBytes(protobufPost);
    pipelined.writeBytes(protobufPost);
    put(
        seeds,
        http + "pipelined-sink-fails",
        HttpIngressFuzzTest.seed(100, 1, pipelined.toByteArray()));
    put(seeds, http + "sink-refuses", HttpIngressFuzzTest.seed(4096, 2, protobufPost));
    ByteArrayOutputStream chunked = new ByteArrayOutputStream();
    chunked.writeBytes(
        ("POST /v1/traces HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-protobuf\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(otlpSingle.length)
                + "\r\n")
            .getBytes(US_ASCII));
    chunked.writeBytes(otlpSingle);
    chunked.writeBytes("\r\n0\r\n\r\n".getBytes(US_ASCII));
    put(seeds, http + "chunked", HttpIngressFuzzTest.seed(7, 0, chunked.toByteArray()));
    put(
        seeds,
        http + "too-long",
        HttpIngressFuzzTest.seed(
            4096,
            0,
            ("POST /v1/traces HTTP/1.1\r\nContent-Type: application/x-protobuf\r\n"
                    + "Content-Length: 99999999\r\n\r\n")
                .getBytes(US_ASCII)));
    put(
        seeds,
        http + "expect-continue",
        HttpIngressFuzzTest.seed(
            4096, 0, httpPost("application/x-protobuf", "Expect: 100-continue\r\n", otlpSingle)));
    return seeds;
  }

  private static byte[] httpPost(String contentType, String moreHeaders, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("POST /v1/traces HTTP/1.1\r\nHost: h\r\nContent-Type: "
                + contentType
                + "\r\n"
                + moreHeaders
                + "Content-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(US_ASCII));
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // Java writes no timestamp into the gzip header, so the seed is the same on every run.
    try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
      z.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void put(Map<Path, byte[]> seeds, String name, byte[] bytes) {
    seeds.put(RESOURCES.resolve(name), bytes);
  }

  private static byte[] conversation(byte[] otlp) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ClientHello hello = ClientHello.create(SessionId.of(1, 2), "span-transport-java/0.1.0");
    byte[] frame = new byte[hello.frameLength()];
    FrameWriter.writeClientHello(frame, 0, hello);
    out.writeBytes(frame);
    frame = new byte[ServerHello.FRAME_LENGTH];
    FrameWriter.writeServerHello(frame, 0, 0, ServerHello.create(1, 0, 65535, 1024, 4));
    out.writeBytes(frame);
    out.writeBytes(spansFrame(1, otlp));
    out.writeBytes(spansFrame(2, otlp));
    frame = new byte[FrameDescriptor.HEADER_LENGTH];
    FrameWriter.writeAck(frame, 0, 2);
    out.writeBytes(frame);
    FrameWriter.writePing(frame, 0, 0x1234);
    out.writeBytes(frame);
    FrameWriter.writePong(frame, 0, 0x1234);
    out.writeBytes(frame);
    String message = "sink unavailable";
    frame = new byte[FrameWriter.errorFrameLength(message)];
    FrameWriter.writeError(frame, 0, 3, ErrorCode.SINK_UNAVAILABLE, false, message);
    out.writeBytes(frame);
    String reason = "host shutting down";
    frame = new byte[FrameWriter.goAwayFrameLength(reason)];
    FrameWriter.writeGoAway(frame, 0, 2, reason);
    out.writeBytes(frame);
    return out.toByteArray();
  }

  private static byte[] spansFrame(long sequence, byte[] otlp) {
    byte[] frame = new byte[FrameDescriptor.HEADER_LENGTH + otlp.length];
    FrameWriter.writeHeader(frame, 0, FrameType.SPANS, sequence, otlp.length);
    System.arraycopy(otlp, 0, frame, FrameDescriptor.HEADER_LENGTH, otlp.length);
    return frame;
  }

  private static byte[] payload(byte[] frame) {
    return Arrays.copyOfRange(frame, FrameDescriptor.HEADER_LENGTH, frame.length);
  }

  private static byte[] kataFrame(byte[] json) {
    byte[] frame = new byte[8 + json.length];
    long length = json.length;
    for (int i = 0; i < 8; i++) {
      frame[i] = (byte) (length >>> (56 - 8 * i));
    }
    System.arraycopy(json, 0, frame, 8, json.length);
    return frame;
  }

  /** Reads a hex fixture: '#' starts a comment, whitespace is ignored. */
  private static byte[] fromHex(List<String> lines) {
    StringBuilder hex = new StringBuilder();
    for (String line : lines) {
      int hash = line.indexOf('#');
      hex.append((hash < 0 ? line : line.substring(0, hash)).replaceAll("\\s", ""));
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return bytes;
  }

  private static Map<String, byte[]> kataFixtures(Path module) throws IOException {
    Map<String, byte[]> fixtures = new TreeMap<>();
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(module.resolve(KATA_FIXTURES), "*.json")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        fixtures.put(name.substring(0, name.length() - ".json".length()), Files.readAllBytes(file));
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(module.resolve(KATA_FIXTURES), "*.bincode.hex")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        fixtures.put(
            name.substring(0, name.length() - ".hex".length()).replace('.', '-'),
            fromHex(Files.readAllLines(file)));
      }
    }
    if (fixtures.isEmpty()) {
      throw new IOException("no Kata fixtures in " + module.resolve(KATA_FIXTURES));
    }
    return fixtures;
  }
}
