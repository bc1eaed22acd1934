package io.snupkg.gateway.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become responses. A {@link Rejection} is answered with its status, its reason
 * as the reason phrase (which the NuGet client prints) and the same text in a small JSON body; anything else is a
 * bug, logged with its stack trace here and answered with a generic 500 that reveals nothing.
 *
 * <p>Upload routes answer before the body has been read (no key, too large, bad key, ...). The client is then
 * still sending, and closing the socket under it makes the client report a reset instead of the answer. So
 * after answering, the rest of the body is read and dropped, for at most {@code drainTimeout} and
 * {@code drainMaxBytes}, as nginx's lingering close does; only past those bounds is the connection closed.
 */
public final class ErrorResponder {
  /**
   * The longest {@code Retry-After} unless {@code http.maxRetryAfter} says otherwise. NuGet 6.5+ waits out whatever
   * it is told (up to an hour) before each of its three tries, but one 300 s timeout covers the whole push: a wait
   * longer than about 100 s turns a retryable answer into "Pushing took too long".
   */
  public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(60);

  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);

  private final Vertx vertx;
  private final Duration drainTimeout;
  private final long drainMaxBytes;
  private final Duration maxRetryAfter;

  public ErrorResponder(Vertx vertx, Duration drainTimeout, long drainMaxBytes, Duration maxRetryAfter) {
    this.vertx = vertx;
    this.drainTimeout = drainTimeout;
    this.drainMaxBytes = drainMaxBytes;
    this.maxRetryAfter = maxRetryAfter;
  }

  /** Answers {@code failure} and, if the request body is still arriving, drains it. */
  public void fail(HttpServerRequest request, Throwable failure, boolean continueSent) {
    HttpServerResponse response = request.response();
    if (failure instanceof ClientGoneException || response.closed()) {
      LOG.debug("{} {}: client went away: {}", request.method(), request.path(), failure.getMessage());
      return;
    }
    if (response.ended() || response.headWritten()) {
      LOG.warn("{} {}: failure after the response was sent: {}", request.method(), request.path(), failure.toString());
      return;
    }
    Rejection rejection = asRejection(request, failure);
    boolean bodyPending = !request.isEnded();
    // A client that sent "Expect: 100-continue" and got no 100 will not send the body: nothing to drain.
    boolean closeNow = bodyPending && expectsContinue(request) && !continueSent;
    if (closeNow) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    send(response, rejection, maxRetryAfter).onComplete(v -> {
      if (closeNow) {
        request.connection().close();
      } else if (bodyPending) {
        drain(request);
      }
    });
  }

  /** Writes a rejection with the default cap on {@code Retry-After} (routes whose waits are a few seconds). */
  public static io.vertx.core.Future<Void> send(HttpServerResponse response, Rejection rejection) {
    return send(response, rejection, DEFAULT_MAX_RETRY_AFTER);
  }

  /**
   * Writes a rejection: status, reason phrase, {@code Retry-After} (the rejection's, or one relayed from an upstream
   * service already on the response, at most {@code maxRetryAfter}), JSON body.
   */
  public static io.vertx.core.Future<Void> send(HttpServerResponse response, Rejection rejection,
      Duration maxRetryAfter) {
    response.setStatusCode(rejection.status()).setStatusMessage(rejection.reason());
    Optional<Long> seconds = rejection.retryAfter().map(d -> Math.max(1, d.toSeconds()))
        .or(() -> relayedSeconds(response.headers().get(HttpHeaders.RETRY_AFTER)));
    seconds.ifPresent(s -> response.putHeader(HttpHeaders.RETRY_AFTER,
        String.valueOf(Math.min(s, Math.max(1, maxRetryAfter.toSeconds())))));
    JsonObject body = new JsonObject().put("status", rejection.status()).put("message", rejection.reason());
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  /** A relayed {@code Retry-After} in seconds; an HTTP date is left as it is (it names its own moment). */
  private static Optional<Long> relayedSeconds(String value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Math.max(0, Long.parseLong(value.trim())));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private Rejection asRejection(HttpServerRequest request, Throwable failure) {
    if (failure instanceof Rejection r) {
      return r;
    }
    LOG.error("{} {}: unexpected failure", request.method(), request.path(), failure);
    return Rejection.internal();
  }

  private static boolean expectsContinue(HttpServerRequest request) {
    return request.version() != HttpVersion.HTTP_1_0
        && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT));
  }

  private void drain(HttpServerRequest request) {
    if (request.isEnded()) {
      return; // the rest arrived while the answer was being written
    }
    HttpConnection connection = request.connection();
    long[] drained = {0};
    long timer = vertx.setTimer(Math.max(1, drainTimeout.toMillis()), t -> {
      LOG.debug("{} {}: body still arriving after {}; closing the connection", request.method(), request.path(),
          drainTimeout);
      connection.close();
    });
    if (request.isExpectMultipart()) {
      request.setExpectMultipart(false); // stop decoding bytes that are dropped anyway
    }
    request.exceptionHandler(err -> vertx.cancelTimer(timer));
    request.endHandler(v -> vertx.cancelTimer(timer));
    request.handler(chunk -> {
      drained[0] += chunk.length();
      if (drained[0] > drainMaxBytes) {
        vertx.cancelTimer(timer);
        request.handler(null);
        connection.close();
      }
    });
    request.resume();
  }
}
