package io.snupkg.gateway.testing;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.io.ByteArrayOutputStream;

/** A write stream that keeps what it is given, never pushes back, and remembers whether it was ended. */
public final class CollectingWriteStream implements WriteStream<Buffer> {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private boolean ended;

  public byte[] bytes() {
    return bytes.toByteArray();
  }

  public boolean ended() {
    return ended;
  }

  @Override
  public Future<Void> write(Buffer data) {
    bytes.writeBytes(data.getBytes());
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> end() {
    ended = true;
    return Future.succeededFuture();
  }

  @Override
  public CollectingWriteStream exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public CollectingWriteStream setWriteQueueMaxSize(int maxSize) {
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public CollectingWriteStream drainHandler(Handler<Void> handler) {
    return this;
  }
}
