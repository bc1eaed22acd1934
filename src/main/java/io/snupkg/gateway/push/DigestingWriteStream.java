package io.snupkg.gateway.push;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.WriteStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongPredicate;

/**
 * Passes buffers to a delegate (the spool file) while computing their SHA-512 and counting them, so that the
 * hash and size are known the moment the body ends, without reading the file again. The digest reads each
 * buffer in place (no copy per chunk).
 */
final class DigestingWriteStream extends ForwardingWriteStream {
  private final MessageDigest sha512;
  private final LongPredicate admit;
  private long bytes;

  /**
   * @param admit told the running total before each buffer is written; {@code false} refuses the buffer (the
   *     owner enforces its size limit there and has already failed the transfer)
   */
  DigestingWriteStream(WriteStream<Buffer> delegate, LongPredicate admit) {
    super(delegate);
    this.admit = admit;
    try {
      this.sha512 = MessageDigest.getInstance("SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-512", e);
    }
  }

  long bytes() {
    return bytes;
  }

  String sha512Hex() {
    return HexFormat.of().formatHex(sha512.digest());
  }

  @Override
  public Future<Void> write(Buffer data) {
    bytes += data.length();
    if (!admit.test(bytes)) {
      return refuse(new IllegalStateException("refused: over the size limit"));
    }
    sha512.update(((BufferInternal) data).getByteBuf().nioBuffer());
    return delegate.write(data);
  }

  @Override
  public Future<Void> end() {
    return delegate.end();
  }
}
