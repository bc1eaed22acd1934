package io.snupkg.gateway.push;

import io.snupkg.gateway.auth.ApiKey;
import io.snupkg.gateway.feed.UpstreamFeed;
import io.snupkg.gateway.http.ClientGoneException;
import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.Stage;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT /api/v2/package[/]} with {@code feed.type: upstream}: the body goes on to the upstream feed's
 * PackagePublish resource as it arrives, with backpressure both ways and nothing buffered, and the feed's answer
 * (status, reason phrase, {@code X-NuGet-Warning} and {@code Retry-After}) comes back as it was given. The feed
 * checks the key itself; the gateway adds what it does for every upload: 401 without a key, 413 over
 * {@code limits.maxPackageSize} (declared or counted), and a drained body after an early answer.
 */
public final class PackageProxyHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(PackageProxyHandler.class);
  static final String NOUN = "package";
  /** Headers the NuGet client sends that a feed may use; everything else stays here. */
  private static final String[] FORWARDED = {"Content-Type", "Content-Length", "X-NuGet-ApiKey",
      "X-NuGet-Client-Version", "X-NuGet-Protocol-Version", "X-NuGet-Session-Id", "User-Agent", "Accept-Language"};
  /** How long the feed may take to answer once the body is sent: feeds validate a package before answering. */
  static final Duration RESPONSE_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(10);

  private final UpstreamFeed feed;
  private final HttpClient client;
  private final ErrorResponder errors;
  private final long limit;
  private final RateLimiter rateLimit;
  private final GatewayMetrics metrics;

  public PackageProxyHandler(UpstreamFeed feed, HttpClient client, ErrorResponder errors, long limit,
      RateLimiter rateLimit, GatewayMetrics metrics) {
    this.feed = feed;
    this.rateLimit = rateLimit;
    this.metrics = metrics;
    this.client = client;
    this.errors = errors;
    this.limit = limit;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    PushRecorder recorder = new PushRecorder(metrics, GatewayMetrics.Kind.PACKAGE, request);
    Relay relay = new Relay(request, recorder.upload());
    admit(request).andThen(ar -> recorder.stageEnded(Stage.ADMISSION))
        .compose(v -> feed.resources()
            .compose(resources -> relay.start(resources.packagePublish()))
            .andThen(ar -> recorder.stageEnded(Stage.RECEIVE)))
        .onComplete(ar -> {
          recorder.body(relay.bytes, null);
          if (ar.succeeded()) {
            recorder.accepted(ar.result());
          } else {
            errors.fail(request, ar.cause(), false); // answer first, then log
            recorder.refused(ar.cause());
          }
        });
  }

  /** The feed checks the key itself; the gateway still refuses what the head shows and a key over its rate. */
  private Future<Void> admit(HttpServerRequest request) {
    Rejection early = Admission.headerCheck(request, limit, NOUN);
    return early != null ? Future.failedFuture(early)
        : rateLimit.take(ApiKey.of(request.getHeader(Admission.API_KEY_HEADER).trim())).map(left -> {
          String warning = RateLimiter.lowWarning(left, rateLimit.pushesPerHour());
          if (warning != null) { // beside the feed's own warnings, which the relay adds
            request.response().headers().add(Admission.WARNING_HEADER, warning);
          }
          return null;
        });
  }

  /** One push on its way upstream; lives on the request's event loop. Completes with the relayed status. */
  private final class Relay {
    private final HttpServerRequest request;
    private final GatewayMetrics.Upload progress;
    private HttpClientRequest upstream;
    private long bytes;
    /** Why the gateway cut the upstream request short (413, client gone); the answer to give instead of its error. */
    private Throwable abort;

    Relay(HttpServerRequest request, GatewayMetrics.Upload progress) {
      this.request = request;
      this.progress = progress;
    }

    Future<Integer> start(String publishUrl) {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.PUT).setAbsoluteURI(publishUrl)
          .setIdleTimeout(RESPONSE_TIMEOUT.toMillis());
      for (String name : FORWARDED) {
        String value = request.getHeader(name);
        if (value != null) {
          options.putHeader(name, value);
        }
      }
      return client.request(options)
          .recover(err -> Future.failedFuture(unavailable(err)))
          .compose(this::stream);
    }

    private Future<Integer> stream(HttpClientRequest upstream) {
      this.upstream = upstream;
      if (request.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
        upstream.setChunked(true);
      }
      Future<Integer> answered = upstream.response().compose(this::relay, err -> Future.failedFuture(
          abort != null ? abort : unavailable(err)));
      upstream.exceptionHandler(err -> { }); // reported through the response future above
      request.exceptionHandler(err -> abort(new ClientGoneException("the upload failed: " + err.getMessage())));
      request.response().closeHandler(v -> abort(new ClientGoneException("connection closed during the upload")));
      request.handler(chunk -> {
        bytes += chunk.length();
        progress.received(bytes);
        if (bytes > limit) {
          request.handler(null);
          request.endHandler(null);
          abort(Rejection.tooLarge(NOUN, limit));
          return;
        }
        upstream.write(chunk);
        if (upstream.writeQueueFull()) {
          request.pause();
          upstream.drainHandler(v -> request.resume());
        }
      });
      request.endHandler(v -> upstream.end());
      if (request.version() != HttpVersion.HTTP_1_0
          && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
        request.response().writeContinue();
      }
      request.resume();
      return answered;
    }

    private void abort(Throwable reason) {
      if (abort == null) {
        abort = reason;
        upstream.reset();
      }
    }

    /** The feed's answer as it was given; a refusal goes through the error path so the rest of the body drains. */
    private Future<Integer> relay(HttpClientResponse response) {
      int status = response.statusCode();
      for (Map.Entry<String, String> h : response.headers()) {
        String name = h.getKey().toLowerCase(Locale.ROOT);
        if (name.startsWith("x-nuget-") || name.equals("retry-after")) {
          request.response().headers().add(h.getKey(), h.getValue());
        }
      }
      if (status >= 400) {
        if (!request.isEnded()) {
          upstream.reset(); // it has answered; the rest of the body is drained here, not sent
        }
        if (status >= 500) {
          // The feed's own trouble: a retryable 503 here, as for any upstream failure, with its Retry-After if any.
          request.response().headers().remove(HttpHeaders.RETRY_AFTER);
          return Future.failedFuture(Rejection.unavailable("The upstream feed answered " + status + " ("
              + response.statusMessage() + "); retry later", retryAfter(response)));
        }
        return Future.failedFuture(Rejection.relayed(status, response.statusMessage()));
      }
      return response.body().compose(body -> {
        request.response().setStatusCode(status).setStatusMessage(response.statusMessage());
        String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null) {
          request.response().putHeader(HttpHeaders.CONTENT_TYPE, type);
        }
        return request.response().end(body == null ? Buffer.buffer() : body).map(status);
      });
    }

    private static Duration retryAfter(HttpClientResponse response) {
      try {
        String value = response.getHeader(HttpHeaders.RETRY_AFTER);
        return value == null ? RETRY_AFTER : Duration.ofSeconds(Math.max(1, Long.parseLong(value.trim())));
      } catch (NumberFormatException e) {
        return RETRY_AFTER; // an HTTP date: not worth parsing for a retry hint
      }
    }

    private Rejection unavailable(Throwable err) {
      if (err instanceof Rejection r) {
        return r;
      }
      LOG.warn("Pushing to the upstream feed failed: {}", err.toString());
      return Rejection.unavailable("The upstream feed is unavailable; retry later", RETRY_AFTER);
    }
  }
}
