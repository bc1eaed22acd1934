package io.snupkg.gateway.push;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * A byte string to find in buffers, with Boyer-Moore-Horspool: a multipart delimiter ("\r\n--" and a boundary of
 * up to 70 characters) lets the search skip up to its length at a time, so a part's content is mostly not read at
 * all.
 *
 * <p>Hand-written because Netty's {@code ByteBufUtil.indexOf} checks the buffer's reference count on every byte
 * it reads: profiled under 64 KiB pushes, that search was a third of the gateway's CPU. No library on the class
 * path searches a byte array for a byte string.
 */
final class BytePattern {
  private final byte[] bytes;
  /** For each byte value: how far the window may move when that byte is under the window's last position. */
  private final int[] shift = new int[256];

  BytePattern(byte[] bytes) {
    if (bytes.length == 0) {
      throw new IllegalArgumentException("empty pattern");
    }
    this.bytes = bytes.clone();
    java.util.Arrays.fill(shift, bytes.length);
    for (int i = 0; i < bytes.length - 1; i++) {
      shift[bytes[i] & 0xFF] = bytes.length - 1 - i;
    }
  }

  int length() {
    return bytes.length;
  }

  /** The first position of the pattern in {@code haystack}, relative to its start; -1 if absent. */
  int indexOf(Buffer haystack) {
    ByteBuf buf = ((BufferInternal) haystack).getByteBuf();
    int from = buf.readerIndex();
    int length = buf.readableBytes();
    if (buf.hasArray()) {
      return indexOf(buf.array(), buf.arrayOffset() + from, length);
    }
    byte[] copy = new byte[length]; // direct buffers do not reach here from Vert.x's HTTP server; kept correct
    buf.getBytes(from, copy);
    return indexOf(copy, 0, length);
  }

  int indexOf(byte[] haystack, int offset, int length) {
    int n = bytes.length;
    int last = n - 1;
    int end = offset + length - n;
    for (int at = offset; at <= end; at += shift[haystack[at + last] & 0xFF]) {
      int j = last;
      while (haystack[at + j] == bytes[j]) {
        if (j == 0) {
          return at - offset;
        }
        j--;
      }
    }
    return -1;
  }
}
