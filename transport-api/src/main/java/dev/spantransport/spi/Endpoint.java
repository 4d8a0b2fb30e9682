package dev.spantransport.spi;

/**
 * Where a span transport connects or listens: a typed, validated value with one canonical string
 * form.
 *
 * <p>String forms, parsed by {@link #parse(String)} and produced by {@code toString()}:
 *
 * <table>
 *   <caption>Endpoint string forms</caption>
 *   <tr><th>Form</th><th>Type</th><th>Example</th></tr>
 *   <tr><td>{@code vsock://CID:PORT}</td><td>{@link VsockEndpoint}</td>
 *       <td>{@code vsock://2:10240}, {@code vsock://any:10240} (listen side)</td></tr>
 *   <tr><td>{@code hvsock:PATH:PORT}</td><td>{@link HybridVsockEndpoint}</td>
 *       <td>{@code hvsock:/run/vm/v.sock:10240} (the port follows the last {@code ':'}; Kata's
 *       {@code hvsock:///run/vm/v.sock:10240} is accepted too)</td></tr>
 *   <tr><td>{@code unix:PATH}</td><td>{@link UnixEndpoint}</td>
 *       <td>{@code unix:/run/spans.sock} ({@code unix:///run/spans.sock} is accepted too)</td></tr>
 *   <tr><td>{@code tcp://HOST:PORT}</td><td>{@link TcpEndpoint}</td>
 *       <td>{@code tcp://127.0.0.1:4319}, {@code tcp://[::1]:4319}</td></tr>
 * </table>
 *
 * <p>Every value is checked when it is built, so an endpoint that exists is valid: a CID is an
 * unsigned 32-bit number ({@code any} = {@link VsockEndpoint#VMADDR_CID_ANY}), a vsock port is
 * between 1 and 4294967294 (0 is rejected, 4294967295 is the kernel's "any port"), a TCP port is
 * between 1 and 65535, and a socket path is not empty.
 */
public sealed interface Endpoint
    permits VsockEndpoint, HybridVsockEndpoint, UnixEndpoint, TcpEndpoint {

  /**
   * Parses an endpoint from its string form. This is the one place endpoint strings are read.
   *
   * @param text the endpoint, e.g. {@code vsock://2:10240}
   * @return the typed endpoint
   * @throws IllegalArgumentException if the text is not a valid endpoint; the message names the
   *     rule that was broken and the value seen
   */
  static Endpoint parse(String text) {
    return EndpointParser.parse(text);
  }

  /**
   * Returns the scheme of this endpoint's string form: {@code vsock}, {@code hvsock}, {@code unix}
   * or {@code tcp}.
   *
   * @return the scheme, without the colon
   */
  String scheme();

  /**
   * Returns the canonical string form, which {@link #parse(String)} reads back to an equal
   * endpoint.
   *
   * @return the canonical string form
   */
  @Override
  String toString();
}
