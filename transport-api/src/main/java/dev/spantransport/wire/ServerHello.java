package dev.spantransport.wire;

import static dev.spantransport.wire.FrameDescriptor.getU16;
import static dev.spantransport.wire.FrameDescriptor.getU32;
import static dev.spantransport.wire.FrameDescriptor.putU16;
import static dev.spantransport.wire.FrameDescriptor.putU32;

/**
 * The payload of a SERVER_HELLO frame, the host's answer to CLIENT_HELLO. The frame's sequence (not
 * part of this class) is the highest sequence the host has already acked for the session.
 *
 * <pre>
 *  0         2              6                10                 14          18
 *  +---------+--------------+----------------+------------------+-----------+
 *  | version | capabilities | maxFrameLength | maxSpansPerFrame | window    | ...
 *  |  u16    |    u32       |     u32        |      u32         |  u32      |
 *  +---------+--------------+----------------+------------------+-----------+
 * </pre>
 *
 * Bytes after the window are ignored, so later versions can append fields.
 */
public final class ServerHello {

  /** Offset of the u16 version the host chose. */
  public static final int VERSION_OFFSET = 0;

  /** Offset of the u32 capability bits (0 in v1). */
  public static final int CAPABILITIES_OFFSET = 2;

  /** Offset of the u32 limit on a frame's payload length the host accepts. */
  public static final int MAX_FRAME_LENGTH_OFFSET = 6;

  /** Offset of the u32 limit on spans per SPANS frame. */
  public static final int MAX_SPANS_PER_FRAME_OFFSET = 10;

  /** Offset of the u32 window: max un-acked SPANS frames in flight on this connection. */
  public static final int WINDOW_OFFSET = 14;

  /** Length of the v1 payload. */
  public static final int LENGTH = 18;

  /** Length of a v1 SERVER_HELLO frame, header included. */
  public static final int FRAME_LENGTH = FrameDescriptor.HEADER_LENGTH + LENGTH;

  private final int version;
  private final long capabilities;
  private final int maxFrameLength;
  private final int maxSpansPerFrame;
  private final int window;

  private ServerHello(
      int version, long capabilities, int maxFrameLength, int maxSpansPerFrame, int window) {
    this.version = version;
    this.capabilities = capabilities;
    this.maxFrameLength = maxFrameLength;
    this.maxSpansPerFrame = maxSpansPerFrame;
    this.window = window;
  }

  /**
   * Returns a hello with every field given.
   *
   * @throws IllegalArgumentException if {@code version} is outside 1 to 65,535, {@code
   *     capabilities} is not a u32, {@code maxFrameLength} is outside 1 to {@link
   *     FrameDescriptor#MAX_FRAME_LENGTH}, or {@code maxSpansPerFrame} or {@code window} is below 1
   */
  public static ServerHello create(
      int version, long capabilities, int maxFrameLength, int maxSpansPerFrame, int window) {
    ClientHello.checkVersion("version", version);
    if (capabilities < 0 || capabilities > FrameDescriptor.MAX_U32) {
      throw new IllegalArgumentException(
          "capabilities must be between 0 and " + FrameDescriptor.MAX_U32 + ": " + capabilities);
    }
    if (maxFrameLength < 1 || maxFrameLength > FrameDescriptor.MAX_FRAME_LENGTH) {
      throw new IllegalArgumentException(
          "maxFrameLength must be between 1 and "
              + FrameDescriptor.MAX_FRAME_LENGTH
              + ": "
              + maxFrameLength);
    }
    if (maxSpansPerFrame < 1) {
      throw new IllegalArgumentException(
          "maxSpansPerFrame must be at least 1: " + maxSpansPerFrame);
    }
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1: " + window);
    }
    return new ServerHello(version, capabilities, maxFrameLength, maxSpansPerFrame, window);
  }

  /**
   * Decodes a SERVER_HELLO payload; bytes after the window are ignored.
   *
   * @throws MalformedFrameException if the payload is shorter than {@link #LENGTH} or a field is
   *     out of the range {@link #create} accepts
   */
  public static ServerHello decode(byte[] buffer, int offset, int length)
      throws MalformedFrameException {
    if (length < LENGTH) {
      throw new MalformedFrameException(
          "SERVER_HELLO payload must be at least " + LENGTH + " bytes: " + length);
    }
    long maxFrameLength = getU32(buffer, offset + MAX_FRAME_LENGTH_OFFSET);
    long maxSpans = getU32(buffer, offset + MAX_SPANS_PER_FRAME_OFFSET);
    long window = getU32(buffer, offset + WINDOW_OFFSET);
    try {
      return create(
          getU16(buffer, offset + VERSION_OFFSET),
          getU32(buffer, offset + CAPABILITIES_OFFSET),
          (int) Math.min(maxFrameLength, Integer.MAX_VALUE),
          (int) Math.min(maxSpans, Integer.MAX_VALUE),
          (int) Math.min(window, Integer.MAX_VALUE));
    } catch (IllegalArgumentException e) {
      throw new MalformedFrameException("SERVER_HELLO " + e.getMessage());
    }
  }

  /**
   * Returns the version both sides speak: the highest version in both ranges, or -1 if the ranges
   * do not overlap.
   */
  public static int negotiate(int clientMin, int clientMax, int serverMin, int serverMax) {
    int high = Math.min(clientMax, serverMax);
    int low = Math.max(clientMin, serverMin);
    return high >= low ? high : -1;
  }

  /** Writes this hello's payload at {@code offset}; returns {@link #LENGTH}. */
  int encodePayload(byte[] dst, int offset) {
    putU16(dst, offset + VERSION_OFFSET, version);
    putU32(dst, offset + CAPABILITIES_OFFSET, capabilities);
    putU32(dst, offset + MAX_FRAME_LENGTH_OFFSET, maxFrameLength);
    putU32(dst, offset + MAX_SPANS_PER_FRAME_OFFSET, maxSpansPerFrame);
    putU32(dst, offset + WINDOW_OFFSET, window);
    return LENGTH;
  }

  /** Returns the version the host chose; every later frame on the connection carries it. */
  public int version() {
    return version;
  }

  /** Returns the capability bits, a u32 (0 in v1). */
  public long capabilities() {
    return capabilities;
  }

  /** Returns the longest payload the host accepts in one frame, in bytes. */
  public int maxFrameLength() {
    return maxFrameLength;
  }

  /** Returns the most spans the host accepts in one SPANS frame. */
  public int maxSpansPerFrame() {
    return maxSpansPerFrame;
  }

  /** Returns the most un-acked SPANS frames the guest may have in flight on this connection. */
  public int window() {
    return window;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ServerHello)) {
      return false;
    }
    ServerHello that = (ServerHello) o;
    return version == that.version
        && capabilities == that.capabilities
        && maxFrameLength == that.maxFrameLength
        && maxSpansPerFrame == that.maxSpansPerFrame
        && window == that.window;
  }

  @Override
  public int hashCode() {
    int h = version;
    h = 31 * h + Long.hashCode(capabilities);
    h = 31 * h + maxFrameLength;
    h = 31 * h + maxSpansPerFrame;
    return 31 * h + window;
  }

  @Override
  public String toString() {
    return "ServerHello{version="
        + version
        + ", capabilities="
        + capabilities
        + ", maxFrameLength="
        + maxFrameLength
        + ", maxSpansPerFrame="
        + maxSpansPerFrame
        + ", window="
        + window
        + "}";
  }
}
