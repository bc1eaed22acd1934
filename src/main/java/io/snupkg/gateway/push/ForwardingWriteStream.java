package io.snupkg.gateway.push;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * A write stream that transforms or inspects what it is given and hands it on: error handling and backpressure
 * are the delegate's, so a pipe into this stream slows down exactly when the delegate (the spool file) does.
 */
abstract class ForwardingWriteStream implements WriteStream<Buffer> {
  protected final WriteStream<Buffer> delegate;
  private boolean refused;

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

  /**
   * A refused write fails the transfer at once, and its owner closes the spool file before the pipe asks this
   * stream whether it is full: after a refusal the delegate is not asked again (a closed file would throw).
   */
  @Override
  public boolean writeQueueFull() {
    return !refused && delegate.writeQueueFull();
  }

  /** Marks this stream as done taking data and returns the failure to give back from {@code write}. */
  protected Future<Void> refuse(Throwable failure) {
    refused = true;
    return Future.failedFuture(failure);
  }

  @Override
  public ForwardingWriteStream drainHandler(Handler<Void> handler) {
    delegate.drainHandler(handler);
    return this;
  }
}
