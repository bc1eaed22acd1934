package io.snupkg.gateway.auth;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.AuthResult;
import io.snupkg.gateway.metrics.GatewayMetrics.LookupSource;
import io.snupkg.gateway.upstream.Coalescer;
import io.snupkg.gateway.upstream.TtlCache;
import io.snupkg.gateway.upstream.UpstreamClient;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auth.type: upstream}: asks the auth service of DESIGN.md ("Upstream auth service contract") whether a key
 * may push, with the three things that keep it off the critical path of every CI job:
 * <ul>
 *   <li>a bounded cache keyed by the SHA-256 of the key (never the key), holding allowed answers for the service's
 *       {@code cacheSeconds} capped by {@code auth.cacheTtl}, and refusals for {@code auth.negativeTtl};</li>
 *   <li>coalescing: concurrent identical lookups share one call;</li>
 *   <li>a timeout and a circuit breaker: a service that is down, slow or failing gives 503 with Retry-After at
 *       once, and never an allowed push (fail closed).</li>
 * </ul>
 * The admission lookup sends {@code packageId: null}; the scope lookup sends the id and version.
 */
public final class UpstreamKeyAuthority implements KeyAuthority {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamKeyAuthority.class);
  static final String ACTION = "symbols.push";

  /** What the service said: allowed with a subject, or refused. */
  record Answer(boolean allowed, String subject) {}

  private final UpstreamClient client;
  private final String url;
  private final CircuitBreaker breaker;
  private final TtlCache<String, Answer> cache;
  private final Coalescer<String, Answer> coalescer = new Coalescer<>();
  private final Duration maxTtl;
  private final Duration negativeTtl;
  private final Duration retryAfter;
  private final GatewayMetrics metrics;

  public UpstreamKeyAuthority(Vertx vertx, GatewayConfig.Auth config, Clock clock, GatewayMetrics metrics) {
    this.metrics = metrics;
    this.client = new UpstreamClient(vertx, config.upstream(), config.timeout());
    this.url = config.url().orElseThrow();
    this.maxTtl = config.cacheTtl();
    this.negativeTtl = config.negativeTtl();
    this.retryAfter = config.breakerReset();
    this.cache = new TtlCache<>(config.cacheSize(), clock);
    this.breaker = CircuitBreaker.create("snupkg-auth", vertx, new CircuitBreakerOptions()
        .setTimeout(config.timeout().toMillis())
        .setMaxFailures(config.breakerFailures())
        .setResetTimeout(config.breakerReset().toMillis()));
  }

  @Override
  public Future<Principal> admit(ApiKey key) {
    return lookup(key, null, null).compose(a -> a.allowed()
        ? Future.succeededFuture(new Principal(a.subject()))
        : Future.failedFuture(Rejection.forbidden()));
  }

  @Override
  public Future<Void> authorize(ApiKey key, String packageId, String version) {
    return lookup(key, packageId, version).compose(a -> a.allowed()
        ? Future.succeededFuture()
        : Future.failedFuture(Rejection.forbidden()));
  }

  @Override
  public void stop() {
    breaker.close();
    client.close();
  }

  /** Is the breaker letting calls through? For readiness. */
  public boolean available() {
    return breaker.state() != io.vertx.circuitbreaker.CircuitBreakerState.OPEN;
  }

  private Future<Answer> lookup(ApiKey key, String packageId, String version) {
    String cacheKey = key.sha256Hex() + "|" + (packageId == null ? "" : packageId.toLowerCase(Locale.ROOT))
        + "|" + (version == null ? "" : version.toLowerCase(Locale.ROOT));
    Optional<Answer> cached = cache.get(cacheKey);
    if (cached.isPresent()) {
      metrics.authLookup(result(Future.succeededFuture(cached.get())), LookupSource.CACHE);
      return Future.succeededFuture(cached.get());
    }
    boolean[] called = {false}; // set synchronously by the one caller whose supplier runs
    return coalescer.call(cacheKey, () -> {
      called[0] = true;
      return ask(key, packageId, version).andThen(ar -> {
        if (ar.succeeded()) {
          cache.put(cacheKey, ar.result().answer(), ar.result().ttl());
        }
      }).map(Timed::answer);
    }).andThen(ar -> metrics.authLookup(result(ar), called[0] ? LookupSource.UPSTREAM : LookupSource.COALESCED));
  }

  private static AuthResult result(AsyncResult<Answer> ar) {
    return ar.failed() ? AuthResult.UNAVAILABLE : ar.result().allowed() ? AuthResult.ALLOWED : AuthResult.DENIED;
  }

  private record Timed(Answer answer, Duration ttl) {}

  private Future<Timed> ask(ApiKey key, String packageId, String version) {
    JsonObject body = new JsonObject().put("apiKey", key.revealForUpstream()).put("action", ACTION)
        .put("packageId", packageId).put("packageVersion", version);
    return breaker.<Timed>execute(promise -> client.request(HttpMethod.POST, url).sendJsonObject(body)
            .onFailure(promise::tryFail)
            .onSuccess(response -> {
              if (response.statusCode() != 200) {
                promise.tryFail("the auth service answered " + response.statusCode());
                return;
              }
              try {
                promise.tryComplete(parse(response.bodyAsJsonObject()));
              } catch (DecodeException | ClassCastException | IllegalArgumentException e) {
                promise.tryFail("the auth service answered something that is not the contract's JSON");
              }
            }))
        .recover(err -> {
          // Fail closed: whatever went wrong, the push waits for the service instead of going through.
          LOG.warn("Auth service at {} not usable: {}", url, err instanceof OpenCircuitException
              ? "circuit open after repeated failures" : err.getMessage());
          return Future.failedFuture(Rejection.unavailable("The auth service is unavailable; retry later", retryAfter));
        });
  }

  private Timed parse(JsonObject json) {
    if (json == null || !(json.getValue("allowed") instanceof Boolean allowed)) {
      throw new IllegalArgumentException("no 'allowed'");
    }
    if (!allowed) {
      return new Timed(new Answer(false, null), negativeTtl);
    }
    String subject = json.getString("subject");
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("no 'subject'");
    }
    Number seconds = json.getNumber("cacheSeconds"); // absent: as long as configured; 0: not at all
    Duration ttl = seconds == null ? maxTtl : Duration.ofSeconds(Math.max(0, seconds.longValue()));
    return new Timed(new Answer(true, subject), ttl.compareTo(maxTtl) > 0 ? maxTtl : ttl);
  }
}
