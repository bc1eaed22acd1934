package io.snupkg.gateway.push;

import io.snupkg.gateway.auth.ApiKey;
import io.vertx.core.Future;

/**
 * {@code rateLimit.pushesPerHour} per key: this process's buckets on one machine ({@link PushRateLimit}), a row
 * per key in the database with several replicas, so the limit holds for the fleet and not per pod.
 */
public interface RateLimiter {

  /** Takes one push from the key's bucket; fails with the 429 to answer when it is empty. */
  Future<Void> take(ApiKey key);
}
