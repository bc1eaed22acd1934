package io.snupkg.gateway.push;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * A write stream that transforms or inspects what it is given and hands it on: error handling and backpressure
 * are the delegate's, so a pipe into this stream slows down exactly when the delegate (the spool file) does.
 */
abstract class ForwardingWriteStream implements WriteStream<Buffer> {
  protected final WriteStream<Buffer> delegate;

  protected ForwardingWriteStream(WriteStream<Buffer> delegate) {
    this.delegate = delegate;
  }

  @Override
  public ForwardingWriteStream exceptionHandler(Handler<Throwable> handler) {
    delegate.exceptionHandler(handler);
    return this;
  }

  @Override
  public ForwardingWriteStream setWriteQueueMaxSize(int maxSize) {
    delegate.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return delegate.writeQueueFull();
  }

  @Override
  public ForwardingWriteStream drainHandler(Handler<Void> handler) {
    delegate.drainHandler(handler);
    return this;
  }
}
