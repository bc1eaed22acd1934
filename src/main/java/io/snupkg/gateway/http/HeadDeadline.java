package io.snupkg.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpConnection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code http.headerTimeout}: a request head must be complete within this time, as nginx's
 * {@code client_header_timeout} has it. {@code http.idleTimeout} counts only silence, so a client that sends its head
 * one byte every few seconds would otherwise hold its connection (and its buffers) for hours; five hundred of them
 * are a slowloris attack. The clock starts when the connection is accepted, and on a kept-alive connection when the
 * first byte of the next request arrives; it stops when the head has been parsed. The body is not under this
 * deadline (a large upload takes as long as it takes, with {@code http.idleTimeout} against stalls).
 *
 * <p>Hand-written on Netty because Vert.x has no such option: two handlers around Vert.x's {@code httpDecoder}, one
 * seeing raw bytes (a head has started), one seeing decoded messages (the head is complete, the request has ended).
 * Both run on the connection's event loop, so the state needs no locking.
 */
final class HeadDeadline {
  private static final Logger LOG = LoggerFactory.getLogger(HeadDeadline.class);
  private static final String DECODER = "httpDecoder"; // the name Vert.x gives its HTTP/1.x request decoder

  private final long timeoutNanos;
  private ScheduledFuture<?> timer;
  private boolean inRequest;

  private HeadDeadline(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  /**
   * Puts the deadline on a new HTTP/1.x connection; called from the server's connection handler, before any byte of
   * the connection has been decoded. Relies on Vert.x's internal {@code ConnectionBase} for the Netty channel.
   */
  static void install(HttpConnection connection, Duration timeout) {
    if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    if (pipeline.get(DECODER) == null) {
      return; // not HTTP/1.x
    }
    HeadDeadline deadline = new HeadDeadline(timeout);
    pipeline.addBefore(DECODER, "snupkgHeadStarted", deadline.new Bytes());
    pipeline.addAfter(DECODER, "snupkgHeadParsed", deadline.new Messages());
  }

  private void arm(ChannelHandlerContext ctx) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> {
        LOG.debug("Closing {}: no complete request head within {} ms", ctx.channel().remoteAddress(),
            TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        ctx.close();
      }, timeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void disarm() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** Before the decoder: bytes while no request is open start the clock for the next head. */
  private final class Bytes extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      arm(ctx); // a new connection: its first head is due from now
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!inRequest && msg instanceof ByteBuf) {
        arm(ctx);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      disarm();
      ctx.fireChannelInactive();
    }
  }

  /** After the decoder: a parsed head stops the clock; the end of the request lets the next head start it. */
  private final class Messages extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        disarm();
        inRequest = true;
      }
      if (msg instanceof LastHttpContent) {
        inRequest = false;
      }
      ctx.fireChannelRead(msg);
    }
  }
}
