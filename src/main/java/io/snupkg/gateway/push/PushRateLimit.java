package io.snupkg.gateway.push;

import io.snupkg.gateway.auth.ApiKey;
import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code rateLimit.pushesPerHour}: a token bucket per key, filled continuously at that rate and holding at most an
 * hour's pushes, so a CI burst passes and a runaway loop is held to the rate (nuget.org allows 350 an hour). Keys
 * are known by their SHA-256 only. Buckets live in this process: the filesystem backend's, which runs one replica.
 *
 * <p>Hand-written rather than a library's (Bucket4j): twenty lines, and the gateway needs nothing else of one.
 */
public final class PushRateLimit implements RateLimiter {
  /** Beyond this many keys the least recently used bucket is forgotten (its key starts again with a full one). */
  static final int MAX_KEYS = 100_000;
  private static final long NANOS_PER_HOUR = Duration.ofHours(1).toNanos();

  private final int pushesPerHour;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
      return size() > MAX_KEYS;
    }
  };

  /** @param pushesPerHour 0 turns the limit off */
  public PushRateLimit(int pushesPerHour, LongSupplier nanoTime) {
    this.pushesPerHour = pushesPerHour;
    this.nanoTime = nanoTime;
  }

  private static final class Bucket {
    double tokens;
    long updated;
  }

  @Override
  public Future<Integer> take(ApiKey key) {
    Taken taken = takeOne(key);
    return taken.refusal() == null ? Future.succeededFuture(taken.left()) : Future.failedFuture(taken.refusal());
  }

  @Override
  public int pushesPerHour() {
    return pushesPerHour;
  }

  /** Takes one push from the key's bucket, or returns the 429 to answer (with when the next token arrives). */
  Rejection tryTake(ApiKey key) {
    return takeOne(key).refusal();
  }

  /** The pushes left after a take, or the refusal. */
  private record Taken(int left, Rejection refusal) {}

  private synchronized Taken takeOne(ApiKey key) {
    if (pushesPerHour <= 0) {
      return new Taken(UNLIMITED, null);
    }
    long now = nanoTime.getAsLong();
    Bucket bucket = buckets.computeIfAbsent(key.sha256Hex(), k -> {
      Bucket b = new Bucket();
      b.tokens = pushesPerHour;
      b.updated = now;
      return b;
    });
    double perNano = (double) pushesPerHour / NANOS_PER_HOUR;
    bucket.tokens = Math.min(pushesPerHour, bucket.tokens + (now - bucket.updated) * perNano);
    bucket.updated = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return new Taken((int) bucket.tokens, null);
    }
    long waitNanos = (long) Math.ceil((1 - bucket.tokens) / perNano);
    long seconds = (waitNanos + 999_999_999L) / 1_000_000_000L; // rounded up: retrying then finds a token
    return new Taken(0, Rejection.tooManyRequests(pushesPerHour, Duration.ofSeconds(Math.max(1, seconds))));
  }
}
