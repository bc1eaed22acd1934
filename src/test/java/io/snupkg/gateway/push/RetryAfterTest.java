package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.ModernClient;
import io.snupkg.gateway.testing.RawHttp;
import io.snupkg.gateway.testing.TestAuthService;
import io.snupkg.gateway.testing.TestPackages;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code Retry-After} as {@code dotnet nuget push} 6.5+ uses it (modern-client.md §9.1): three tries of one PUT, each
 * after waiting exactly what the previous answer's {@code Retry-After} said, all within one 300 s timeout. So the
 * gateway caps it ({@code http.maxRetryAfter}, 2 s here against the auth service's 10 s breaker reset).
 */
class RetryAfterTest extends ProxyModeTestBase {
  private static final String KEY = "retry-key";

  @Override
  GatewayFixture.Builder mainGateway() {
    return gateway("main").yaml("http", "maxRetryAfter: 2s").yaml("auth", "breakerReset: 10s");
  }

  @Test
  void threeTriesSpacedByRetryAfterGetThrough503sThatClearAfterTheSecond() throws Exception {
    stand.auth.key(KEY, "ci", "*");
    byte[] snupkg = published("Retry.Clears");
    stand.auth.mode(TestAuthService.Mode.ERROR_500);
    ModernClient client = new ModernClient(); // one PUT and its retries: the same session id, a new boundary each
    List<Integer> statuses = new ArrayList<>();
    List<Long> startedAt = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int attempt = 1; attempt <= 3; attempt++) {
      startedAt.add(millisSince(t0));
      RawHttp.Head head = ModernClient.exchange(gw.port(), client.put(gw.port(), SYMBOLS, KEY, snupkg));
      statuses.add(head.status());
      if (head.status() != 503) {
        break;
      }
      assertEquals("The auth service is unavailable; retry later", head.reason());
      assertEquals("2", head.headers().get("retry-after"), "the breaker's 10 s, capped by http.maxRetryAfter");
      if (attempt == 2) {
        stand.auth.mode(TestAuthService.Mode.NORMAL); // the outage clears while the client waits
      }
      Thread.sleep(Long.parseLong(head.headers().get("retry-after")) * 1000);
    }
    assertEquals(List.of(503, 503, 201), statuses);
    assertTrue(startedAt.get(2) - startedAt.get(0) >= 4000, "tries at " + startedAt + " ms");
    assertEquals("available", gw.awaitSymbolState(http, "Retry.Clears", "1.0.0", "available").getString("state"));
  }

  @Test
  void aRateLimitAnHourAwayStillSaysAtMostTheCap() throws Exception {
    try (GatewayFixture g = gateway("limited").yaml("rateLimit", "pushesPerHour: 1").start()) {
      stand.auth.key(KEY, "ci", "*");
      assertEquals(201, ModernClient.exchange(g.port(), new ModernClient().put(g.port(), SYMBOLS, KEY,
          published("Retry.Limited"))).status());
      RawHttp.Head limited = ModernClient.exchange(g.port(), new ModernClient().put(g.port(), SYMBOLS, KEY,
          TestPackages.snupkg("Retry.Limited", "1.0.0")));
      assertEquals(429, limited.status());
      assertEquals("60", limited.headers().get("retry-after"), "the default cap, not the hour the bucket needs");
    }
  }
}
