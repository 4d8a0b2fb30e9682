package dev.spantransport.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Locates the real peers the build copied to {@code target/peers} and runs them as processes. */
final class Peers {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Peers() {}

  /** A jar the build copied into the peers directory; fails the test naming what is missing. */
  static Path jar(String fileName) {
    Path dir = Path.of(System.getProperty("peers.dir", "target/peers"));
    Path jar = dir.resolve(fileName);
    assertTrue(
        Files.isRegularFile(jar),
        "peer jar must exist (run through `mvn verify`, which copies it): " + jar.toAbsolutePath());
    return jar;
  }

  /** The {@code java} launcher of the JVM running the tests, plus flags every child JVM needs. */
  static List<String> javaCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (Runtime.version().feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    return command;
  }

  /** A loopback TCP port that was free a moment ago. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** GET {@code uri}; the status and body, or status -1 if nothing listens yet. */
  static HttpResponse<String> get(URI uri) throws InterruptedException {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    }
  }

  /** Stops a child process: politely first, then forcibly; bounded. */
  static void stop(Process process) throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        fail("child process " + process.pid() + " did not exit");
      }
    }
  }

  /** Last lines of a child's log, for failure messages. */
  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
