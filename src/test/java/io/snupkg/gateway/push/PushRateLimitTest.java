package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.snupkg.gateway.auth.ApiKey;
import io.snupkg.gateway.http.Rejection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket's arithmetic, on a clock the test moves. */
class PushRateLimitTest {
  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final ApiKey key = ApiKey.of("key-a");

  @Test
  void aFullBucketPassesABurstThenRefillsAtTheRate() {
    PushRateLimit limit = new PushRateLimit(360, now::get); // one every 10 s
    for (int i = 0; i < 360; i++) {
      assertNull(limit.tryTake(key), "push " + i);
    }
    Rejection r = limit.tryTake(key);
    assertNotNull(r);
    assertEquals(429, r.status());
    assertEquals(Duration.ofSeconds(10), r.retryAfter().orElseThrow()); // when the next token is whole
    advance(Duration.ofSeconds(9));
    assertNotNull(limit.tryTake(key), "not yet a whole token");
    advance(Duration.ofSeconds(1));
    assertNull(limit.tryTake(key), "a token after 10 s");
    assertNotNull(limit.tryTake(key));
  }

  @Test
  void theBucketHoldsAtMostAnHoursPushesAndKeysAreApart() {
    PushRateLimit limit = new PushRateLimit(2, now::get);
    assertNull(limit.tryTake(key));
    advance(Duration.ofDays(3)); // idle for long: still only two
    assertNull(limit.tryTake(key));
    assertNull(limit.tryTake(key));
    assertNotNull(limit.tryTake(key));
    assertNull(limit.tryTake(ApiKey.of("key-b")), "another key has its own bucket");
  }

  @Test
  void zeroTurnsTheLimitOff() {
    PushRateLimit limit = new PushRateLimit(0, now::get);
    for (int i = 0; i < 10_000; i++) {
      assertNull(limit.tryTake(key));
    }
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }
}
