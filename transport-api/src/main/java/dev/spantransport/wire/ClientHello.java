package dev.spantransport.wire;

import static dev.spantransport.wire.FrameDescriptor.getU16;
import static dev.spantransport.wire.FrameDescriptor.getU32;
import static dev.spantransport.wire.FrameDescriptor.getU64;
import static dev.spantransport.wire.FrameDescriptor.putU16;
import static dev.spantransport.wire.FrameDescriptor.putU32;
import static dev.spantransport.wire.FrameDescriptor.putU64;
import static java.util.Objects.requireNonNull;

import dev.spantransport.codec.internal.Utf8;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The payload of a CLIENT_HELLO frame, the first frame a guest sends on every connection.
 *
 * <pre>
 *  0        2        4                      20             24       26
 *  +--------+--------+----------------------+--------------+--------+------------------+
 *  | minVer | maxVer | session id (16)      | capabilities | n      | agent name (n)   | ...
 *  |  u16   |  u16   | high u64, low u64    |    u32       |  u16   | UTF-8            |
 *  +--------+--------+----------------------+--------------+--------+------------------+
 * </pre>
 *
 * Bytes after the agent name are ignored, so later versions can append fields.
 */
public final class ClientHello {

  /** Offset of the u16 lowest version the client speaks. */
  public static final int MIN_VERSION_OFFSET = 0;

  /** Offset of the u16 highest version the client speaks. */
  public static final int MAX_VERSION_OFFSET = 2;

  /** Offset of the 16-byte session id, high 64 bits first. */
  public static final int SESSION_ID_OFFSET = 4;

  /** Offset of the u32 capability bits (0 in v1). */
  public static final int CAPABILITIES_OFFSET = 20;

  /** Offset of the u16 agent name length. */
  public static final int AGENT_NAME_LENGTH_OFFSET = 24;

  /** Offset of the UTF-8 agent name. */
  public static final int AGENT_NAME_OFFSET = 26;

  /** Length of the fixed fields, i.e. the shortest valid payload (empty agent name). */
  public static final int FIXED_LENGTH = AGENT_NAME_OFFSET;

  private final int minVersion;
  private final int maxVersion;
  private final SessionId sessionId;
  private final long capabilities;
  private final String agentName;
  private final int agentNameLength;

  private ClientHello(
      int minVersion, int maxVersion, SessionId sessionId, long capabilities, String agentName) {
    this.minVersion = minVersion;
    this.maxVersion = maxVersion;
    this.sessionId = sessionId;
    this.capabilities = capabilities;
    this.agentName = agentName;
    this.agentNameLength = Utf8.byteLength(Utf8.encodedLength(agentName));
  }

  /**
   * Returns a hello offering the versions this library speaks, with no capabilities.
   *
   * @param sessionId the exporter instance's session id
   * @param agentName e.g. {@code span-transport-java/0.1.0}; at most 65,535 UTF-8 bytes
   */
  public static ClientHello create(SessionId sessionId, String agentName) {
    return create(
        FrameDescriptor.MIN_SUPPORTED_VERSION,
        FrameDescriptor.MAX_SUPPORTED_VERSION,
        sessionId,
        0,
        agentName);
  }

  /**
   * Returns a hello with every field given.
   *
   * @throws IllegalArgumentException if a version is outside 1 to 65,535, {@code minVersion >
   *     maxVersion}, {@code capabilities} is not a u32, or the agent name exceeds 65,535 UTF-8
   *     bytes
   */
  public static ClientHello create(
      int minVersion, int maxVersion, SessionId sessionId, long capabilities, String agentName) {
    requireNonNull(sessionId, "sessionId");
    requireNonNull(agentName, "agentName");
    checkVersion("minVersion", minVersion);
    checkVersion("maxVersion", maxVersion);
    if (minVersion > maxVersion) {
      throw new IllegalArgumentException(
          "minVersion must not exceed maxVersion " + maxVersion + ": " + minVersion);
    }
    if (capabilities < 0 || capabilities > FrameDescriptor.MAX_U32) {
      throw new IllegalArgumentException(
          "capabilities must be between 0 and " + FrameDescriptor.MAX_U32 + ": " + capabilities);
    }
    ClientHello hello = new ClientHello(minVersion, maxVersion, sessionId, capabilities, agentName);
    if (hello.agentNameLength > FrameDescriptor.MAX_U16) {
      throw new IllegalArgumentException(
          "agentName must be at most 65535 UTF-8 bytes: " + hello.agentNameLength);
    }
    return hello;
  }

  /**
   * Decodes a CLIENT_HELLO payload; bytes after the agent name are ignored.
   *
   * @throws MalformedFrameException if the payload is shorter than its fields, or {@code minVersion
   *     > maxVersion}
   */
  public static ClientHello decode(byte[] buffer, int offset, int length)
      throws MalformedFrameException {
    if (length < FIXED_LENGTH) {
      throw new MalformedFrameException(
          "CLIENT_HELLO payload must be at least " + FIXED_LENGTH + " bytes: " + length);
    }
    int minVersion = getU16(buffer, offset + MIN_VERSION_OFFSET);
    int maxVersion = getU16(buffer, offset + MAX_VERSION_OFFSET);
    if (minVersion > maxVersion) {
      throw new MalformedFrameException(
          "CLIENT_HELLO minVersion must not exceed maxVersion " + maxVersion + ": " + minVersion);
    }
    SessionId sessionId =
        SessionId.of(
            getU64(buffer, offset + SESSION_ID_OFFSET),
            getU64(buffer, offset + SESSION_ID_OFFSET + 8));
    long capabilities = getU32(buffer, offset + CAPABILITIES_OFFSET);
    int nameLength = getU16(buffer, offset + AGENT_NAME_LENGTH_OFFSET);
    if (nameLength > length - FIXED_LENGTH) {
      throw new MalformedFrameException(
          "CLIENT_HELLO agent name length must fit in the "
              + (length - FIXED_LENGTH)
              + " bytes after the fixed fields: "
              + nameLength);
    }
    String agentName =
        new String(buffer, offset + AGENT_NAME_OFFSET, nameLength, StandardCharsets.UTF_8);
    return new ClientHello(minVersion, maxVersion, sessionId, capabilities, agentName);
  }

  /** Returns the length of this hello's payload in bytes. */
  public int payloadLength() {
    return FIXED_LENGTH + agentNameLength;
  }

  /** Returns the length of a CLIENT_HELLO frame carrying this hello, header included. */
  public int frameLength() {
    return FrameDescriptor.HEADER_LENGTH + payloadLength();
  }

  /** Writes this hello's payload at {@code offset}; returns {@link #payloadLength()}. */
  int encodePayload(byte[] dst, int offset) {
    putU16(dst, offset + MIN_VERSION_OFFSET, minVersion);
    putU16(dst, offset + MAX_VERSION_OFFSET, maxVersion);
    putU64(dst, offset + SESSION_ID_OFFSET, sessionId.high());
    putU64(dst, offset + SESSION_ID_OFFSET + 8, sessionId.low());
    putU32(dst, offset + CAPABILITIES_OFFSET, capabilities);
    putU16(dst, offset + AGENT_NAME_LENGTH_OFFSET, agentNameLength);
    Utf8.write(dst, offset + AGENT_NAME_OFFSET, agentName, Utf8.encodedLength(agentName));
    return payloadLength();
  }

  /** Returns the lowest protocol version the client speaks. */
  public int minVersion() {
    return minVersion;
  }

  /** Returns the highest protocol version the client speaks. */
  public int maxVersion() {
    return maxVersion;
  }

  /** Returns the client's session id. */
  public SessionId sessionId() {
    return sessionId;
  }

  /** Returns the capability bits, a u32 (0 in v1). */
  public long capabilities() {
    return capabilities;
  }

  /** Returns the client's agent name. */
  public String agentName() {
    return agentName;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ClientHello)) {
      return false;
    }
    ClientHello that = (ClientHello) o;
    return minVersion == that.minVersion
        && maxVersion == that.maxVersion
        && capabilities == that.capabilities
        && sessionId.equals(that.sessionId)
        && agentName.equals(that.agentName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(minVersion, maxVersion, sessionId, capabilities, agentName);
  }

  @Override
  public String toString() {
    return "ClientHello{minVersion="
        + minVersion
        + ", maxVersion="
        + maxVersion
        + ", sessionId="
        + sessionId
        + ", capabilities="
        + capabilities
        + ", agentName="
        + agentName
        + "}";
  }

  static void checkVersion(String name, int version) {
    if (version < 1 || version > FrameDescriptor.MAX_U16) {
      throw new IllegalArgumentException(name + " must be between 1 and 65535: " + version);
    }
  }
}
