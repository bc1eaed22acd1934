package io.snupkg.gateway.push;

import io.snupkg.gateway.auth.ApiKey;
import io.vertx.core.Future;

/**
 * {@code rateLimit.pushesPerHour} per key: this process's buckets on one machine ({@link PushRateLimit}), a row
 * per key in the database with several replicas, so the limit holds for the fleet and not per pod.
 */
public interface RateLimiter {

  /** What {@link #take} answers when there is no limit. */
  int UNLIMITED = Integer.MAX_VALUE;

  /**
   * Takes one push from the key's bucket: the whole pushes left in it afterwards ({@link #UNLIMITED} with no limit);
   * fails with the 429 to answer when it is empty.
   */
  Future<Integer> take(ApiKey key);

  /** {@code rateLimit.pushesPerHour}; 0 for none. */
  int pushesPerHour();

  /**
   * The one line to warn with when a key is close to its limit (under a tenth of its hour left), or null: the
   * client prints it ({@code X-NuGet-Warning}), so a CI job learns of the limit before its pushes fail.
   */
  static String lowWarning(int left, int pushesPerHour) {
    if (pushesPerHour <= 0 || left == UNLIMITED || left * 10 >= pushesPerHour) {
      return null;
    }
    return "This API key has " + left + " of its " + pushesPerHour + " pushes an hour left; "
        + "more are refused with 429 until its limit refills";
  }
}
