package dev.spantransport.benchmarks;

import java.io.OutputStream;
import java.util.Arrays;

/** An unsynchronized OutputStream over a byte[] that is reset, not reallocated, between ops. */
final class ReusableOutputStream extends OutputStream {
  private byte[] buf;
  private int count;

  ReusableOutputStream(int capacity) {
    buf = new byte[capacity];
  }

  void reset() {
    count = 0;
  }

  int size() {
    return count;
  }

  byte[] buffer() {
    return buf;
  }

  @Override
  public void write(int b) {
    if (count == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    buf[count++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    if (buf.length - count < len) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + len));
    }
    System.arraycopy(b, off, buf, count, len);
    count += len;
  }
}
