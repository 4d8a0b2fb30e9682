package dev.spantransport.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A Unix domain socket in the file system.
 *
 * <p>String form {@code unix:PATH}, e.g. {@code unix:/run/spans.sock}.
 *
 * @param path the socket file's path, not empty
 */
public record UnixEndpoint(Path path) implements Endpoint {

  /**
   * Validates the path.
   *
   * @throws IllegalArgumentException if the path is empty
   */
  public UnixEndpoint {
    Objects.requireNonNull(path, "path");
    if (path.toString().isEmpty()) {
      throw new IllegalArgumentException("unix socket path must not be empty");
    }
  }

  @Override
  public String scheme() {
    return "unix";
  }

  @Override
  public String toString() {
    return "unix:" + path;
  }
}
