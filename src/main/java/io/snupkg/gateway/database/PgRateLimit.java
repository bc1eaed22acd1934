package io.snupkg.gateway.database;

import io.snupkg.gateway.auth.ApiKey;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.push.RateLimiter;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;

/**
 * {@code rateLimit.pushesPerHour} for the whole fleet: one token bucket per key hash in {@code rate_bucket}, taken
 * from in one statement (refill by the time since the last take, capped at an hour's pushes, minus one), so every
 * replica counts against the same bucket.
 */
public final class PgRateLimit implements RateLimiter {
  private final Database db;
  private final int pushesPerHour;

  public PgRateLimit(Database db, int pushesPerHour) {
    this.db = db;
    this.pushesPerHour = pushesPerHour;
  }

  @Override
  public int pushesPerHour() {
    return pushesPerHour;
  }

  @Override
  public Future<Integer> take(ApiKey key) {
    if (pushesPerHour <= 0) {
      return Future.succeededFuture(UNLIMITED);
    }
    double perSecond = pushesPerHour / 3600.0;
    return db.query("INSERT INTO rate_bucket AS b (key_sha256, tokens, updated) VALUES ($1, $2 - 1, now()) "
            + "ON CONFLICT (key_sha256) DO UPDATE SET tokens = LEAST($2, b.tokens + EXTRACT(EPOCH FROM now() - "
            + "b.updated) * $3) - 1, updated = now() "
            + "WHERE LEAST($2, b.tokens + EXTRACT(EPOCH FROM now() - b.updated) * $3) >= 1 RETURNING tokens",
            Tuple.of(key.sha256Hex(), (double) pushesPerHour, perSecond))
        .compose(rows -> rows.size() > 0 ? Future.succeededFuture((int) rows.iterator().next().getDouble(0).doubleValue())
            : deficit(key, perSecond));
  }

  /** How long until the bucket holds a whole token again: the 429's Retry-After. */
  private Future<Integer> deficit(ApiKey key, double perSecond) {
    return db.query("SELECT LEAST($2, tokens + EXTRACT(EPOCH FROM now() - updated) * $3) FROM rate_bucket "
            + "WHERE key_sha256 = $1", Tuple.of(key.sha256Hex(), (double) pushesPerHour, perSecond))
        .compose(rows -> {
          double tokens = rows.size() == 0 ? 0 : rows.iterator().next().getDouble(0);
          long seconds = (long) Math.ceil(Math.max(0, 1 - tokens) / perSecond);
          return Future.failedFuture(Rejection.tooManyRequests(pushesPerHour, Duration.ofSeconds(Math.max(1, seconds))));
        });
  }
}
