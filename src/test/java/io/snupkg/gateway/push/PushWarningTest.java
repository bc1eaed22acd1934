package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.TestPackages;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code X-NuGet-Warning} on pushes that succeeded but that the user should know about: both clients print every
 * value as a warning line ({@code warn : ...}), on any status (modern-client.md §8.3), and it is the only text
 * besides the reason phrase that a user sees. One short line each.
 */
class PushWarningTest extends ProxyModeTestBase {
  private static final String KEY = "warn-key";

  @Override
  GatewayFixture.Builder mainGateway() {
    return gateway("main");
  }

  @Test
  void aSymbolPushWhoseParentTheFeedListsOnlyLaterIsAcceptedWithAWarning() {
    stand.auth.key(KEY, "ci", "*");
    stand.feed.indexDelay(Duration.ofMillis(1500)).publish("Warn.Lagging", "1.0.0",
        TestPackages.nupkg("Warn.Lagging", "1.0.0"));
    Reply r = http.push(SYMBOLS, KEY, TestPackages.snupkg("Warn.Lagging", "1.0.0"));
    assertEquals(201, r.status(), r.toString());
    String warning = r.headers().get("X-NuGet-Warning");
    assertTrue(warning != null && warning.matches("The feed listed Warn\\.Lagging 1\\.0\\.0 only after [12] s; the "
        + "symbols are pending until the feed also serves the package"), String.valueOf(warning));
    assertEquals(1, r.headers().getAll("X-NuGet-Warning").size(), "one line");

    Reply atOnce = http.push(SYMBOLS, KEY, published("Warn.AtOnce"));
    assertEquals(201, atOnce.status());
    assertNull(atOnce.headers().get("X-NuGet-Warning"), "nothing to say when the parent was there at once");
  }

  @Test
  void aKeyWithUnderATenthOfItsHourLeftIsWarnedOnEveryRoute() throws Exception {
    try (GatewayFixture g = gateway("limited").yaml("rateLimit", "pushesPerHour: 20").start(); Http h = client(g)) {
      stand.auth.key(KEY, "ci", "*");
      stand.feed.acceptKey(KEY);
      for (int i = 1; i <= 18; i++) { // 20 an hour: 2 left after the 18th, still a tenth
        Reply r = h.push(SYMBOLS, KEY, published("Warn.Rate" + i));
        assertEquals(201, r.status(), r.toString());
        assertNull(r.headers().get("X-NuGet-Warning"), "push " + i + ": " + r.headers());
      }
      Reply symbols = h.push(SYMBOLS, KEY, published("Warn.Rate19"));
      assertEquals(201, symbols.status());
      assertEquals("This API key has 1 of its 20 pushes an hour left; more are refused with 429 until its limit "
          + "refills", symbols.headers().get("X-NuGet-Warning"));
      Reply pkg = h.push(PACKAGES, KEY, TestPackages.nupkg("Warn.Package", "1.0.0")); // the pass-through too
      assertEquals(201, pkg.status(), pkg.toString());
      assertEquals("This API key has 0 of its 20 pushes an hour left; more are refused with 429 until its limit "
          + "refills", pkg.headers().get("X-NuGet-Warning"));
      assertEquals(429, h.push(SYMBOLS, KEY, published("Warn.Rate21")).status());
    }
  }
}
