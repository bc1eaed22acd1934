package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.LogCapture;
import io.snupkg.gateway.testing.TestAuthService;
import io.snupkg.gateway.testing.TestAuthService.Mode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Symbol pushes with {@code auth.type: upstream}: the real gateway asks {@link TestAuthService}, a real HTTP server
 * on loopback, and must keep it off the critical path (cache, coalescing) and fail closed when it is unusable
 * (503 with Retry-After within the timeout, circuit breaker). Parents are published in the stand-in feed.
 */
class ProxyAuthTest extends ProxyModeTestBase {
  static final String FORBIDDEN =
      "The specified API key is invalid, has expired, or does not have permission to access the specified package.";
  static final String UNAVAILABLE = "The auth service is unavailable; retry later";
  static final String TOKEN = "gw-t0ken";

  TestAuthService auth;

  @Override
  GatewayFixture.Builder mainGateway() {
    auth = stand.auth.requireBearer(TOKEN); // every allowed push below also proves the token was sent
    return withCredentials("main");
  }

  private GatewayFixture.Builder withCredentials(String name) {
    return gateway(name).yaml("auth", "bearerToken: " + TOKEN).yaml("auth", "header: 'X-Gateway: abc'");
  }

  /** A gateway that gives up on the auth service after 1 s, and stops asking after 2 failures in a row. */
  private GatewayFixture.Builder impatient(String name) {
    return withCredentials(name).yaml("auth", "timeout: 1s").yaml("auth", "breakerFailures: 2");
  }

  /** A key the auth service knows, allowed for the globs. */
  private String newKey(String... globs) {
    String key = "oy2" + UUID.randomUUID().toString().replace("-", "");
    auth.key(key, "ci-" + key.substring(3, 11), globs);
    return key;
  }

  private static void assertUnavailable(Reply r, String retryAfter) {
    assertUnavailable(UNAVAILABLE, retryAfter, r);
  }

  @Test
  void oneKeyIsAskedAboutOnceForAHundredPushes() {
    String key = newKey("*");
    byte[] snupkg = published("Auth.Hundred");
    for (int i = 0; i < 100; i++) {
      assertReply(201, "Created", http.push(SYMBOLS, key, snupkg));
    }
    assertTrue(auth.admissionCalls() <= 2, "admission calls: " + auth.admissionCalls());
    assertTrue(auth.scopeCalls() <= 2, "scope calls: " + auth.scopeCalls());
  }

  @Test
  void concurrentPushesWithANewKeyShareOneAdmissionCall() throws Exception {
    // Allowed answers are not cached here, so only coalescing can make one call serve all 40 pushes.
    auth.cacheSeconds(0).delay(Duration.ofSeconds(1)).mode(Mode.SLOW);
    String key = newKey("*");
    byte[] snupkg = published("Auth.Concurrent");
    ExecutorService pool = Executors.newFixedThreadPool(40);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        replies.add(pool.submit(() -> {
          go.await();
          return http.push(SYMBOLS, key, snupkg);
        }));
      }
      go.countDown();
      while (auth.admissionCalls() == 0) {
        Thread.sleep(10);
      }
      auth.mode(Mode.NORMAL); // the admission call stays slow; the scope calls after it need not be
      for (Future<Reply> reply : replies) {
        assertReply(201, "Created", reply.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, auth.admissionCalls());
  }

  @Test
  void anAnswerWithoutCacheSecondsIsKeptForTheConfiguredTtlAndZeroMeansNotAtAll() {
    byte[] snupkg = published("Auth.Ttl");
    auth.cacheSeconds(-1);
    String kept = newKey("*");
    for (int i = 0; i < 5; i++) {
      assertReply(201, "Created", http.push(SYMBOLS, kept, snupkg));
    }
    assertEquals(1, auth.admissionCalls());
    auth.reset();
    auth.cacheSeconds(0);
    String uncached = newKey("*");
    for (int i = 0; i < 3; i++) {
      assertReply(201, "Created", http.push(SYMBOLS, uncached, snupkg));
    }
    assertEquals(3, auth.admissionCalls());
  }

  @Test
  void refusalsAreCachedToo() {
    byte[] snupkg = published("Auth.Unknown");
    List<Path> stored = gw.storedFiles();
    for (int i = 0; i < 10; i++) {
      assertReply(403, FORBIDDEN, http.push(SYMBOLS, "oy2-unknown-key", snupkg));
    }
    assertEquals(1, auth.admissionCalls());
    assertEquals(0, auth.scopeCalls());
    auth.expired("oy2-expired", "old").revoked("oy2-revoked", "gone");
    assertReply(403, FORBIDDEN, http.push(SYMBOLS, "oy2-expired", snupkg));
    assertReply(403, FORBIDDEN, http.push(SYMBOLS, "oy2-revoked", snupkg));
    assertEquals(stored, gw.storedFiles());
    assertEquals(List.of(), gw.spoolFiles());
  }

  @ParameterizedTest
  @EnumSource(Outage.class)
  void anUnusableAuthServiceIsA503WithinTheTimeout(Outage outage) throws Exception {
    try (GatewayFixture g = impatient("outage-" + outage).start(); Http h = client(g)) {
      String key = newKey("*");
      byte[] snupkg = published("Auth.Outage." + outage);
      switch (outage) {
        case DOWN -> auth.down();
        case HANG -> auth.mode(Mode.HANG);
        case ERROR_500 -> auth.mode(Mode.ERROR_500);
      }
      long t0 = System.nanoTime();
      Reply r = h.push(SYMBOLS, key, snupkg);
      long took = millisSince(t0);
      assertUnavailable(r, "10");
      assertTrue(took < 2000, "answered after " + took + " ms with auth.timeout 1s");
      assertEquals(List.of(), g.storedFiles());
      assertEquals(List.of(), g.spoolFiles());
      stand.heal();
      assertReply(201, "Created", h.push(SYMBOLS, key, snupkg));
    }
  }

  @Test
  void theBreakerAnswersAtOnceWhileOpenAndClosesAfterItsReset() throws Exception {
    try (GatewayFixture g = impatient("breaker").yaml("auth", "breakerReset: 2s").start(); Http h = client(g)) {
      String key = newKey("*");
      byte[] snupkg = published("Auth.Breaker");
      auth.mode(Mode.ERROR_500);
      assertUnavailable(h.push(SYMBOLS, key, snupkg), "2");
      assertUnavailable(h.push(SYMBOLS, key, snupkg), "2");
      long opened = System.nanoTime();
      assertEquals(2, auth.calls());

      auth.mode(Mode.HANG); // an open breaker does not even ask, so a hanging service cannot slow it down
      for (int i = 0; i < 3; i++) {
        long t0 = System.nanoTime();
        assertUnavailable(h.push(SYMBOLS, key, snupkg), "2");
        assertTrue(millisSince(t0) < 900, "an open breaker took " + millisSince(t0) + " ms");
      }
      assertEquals(2, auth.calls());
      assertEquals(List.of(), g.storedFiles());

      auth.mode(Mode.NORMAL);
      Thread.sleep(Math.max(0, 2500 - millisSince(opened)));
      assertReply(201, "Created", h.push(SYMBOLS, key, snupkg));
      assertReply(201, "Created", h.push(SYMBOLS, key, snupkg));
      assertEquals(List.of(), g.spoolFiles());
    }
  }

  @Test
  void theScopeIsTheAuthServicesAnswer() {
    String key = newKey("Contoso.*");
    byte[] fabrikam = published("Fabrikam.Lib");
    byte[] contoso = published("Contoso.Lib");
    assertReply(403, FORBIDDEN, http.push(SYMBOLS, key, fabrikam));
    assertEquals("Fabrikam.Lib", auth.lastRequest().getString("packageId"));
    assertEquals(1, auth.admissionCalls());
    assertEquals(1, auth.scopeCalls());
    assertTrue(gw.storedFiles().stream().noneMatch(p -> p.toString().contains("fabrikam")), gw.storedFiles()
        .toString());
    assertReply(201, "Created", http.push(SYMBOLS, key, contoso));
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void theGatewaySendsItsCredentialsAndTheContractsRequests() {
    String key = newKey("*");
    byte[] snupkg = published("Auth.Contract");
    assertReply(403, FORBIDDEN, http.push(SYMBOLS, "oy2-not-known-here", snupkg));
    assertEquals(new JsonObject().put("apiKey", "oy2-not-known-here").put("action", "symbols.push")
        .putNull("packageId").putNull("packageVersion"), auth.lastRequest());
    assertEquals("Bearer " + TOKEN, auth.lastHeaders().get("Authorization"));
    assertEquals("abc", auth.lastHeaders().get("X-Gateway"));
    assertTrue(auth.lastHeaders().get("Content-Type").startsWith("application/json"), auth.lastHeaders().toString());

    assertReply(201, "Created", http.push(SYMBOLS, key, snupkg));
    assertEquals(new JsonObject().put("apiKey", key).put("action", "symbols.push").put("packageId", "Auth.Contract")
        .put("packageVersion", "1.0.0"), auth.lastRequest());
    assertEquals("Bearer " + TOKEN, auth.lastHeaders().get("Authorization"));
    assertEquals("abc", auth.lastHeaders().get("X-Gateway"));
    assertEquals(2, auth.admissionCalls()); // the unknown key's and this key's
    assertEquals(1, auth.scopeCalls());
  }

  @Test
  void theApiKeyIsNeverLogged() {
    String allowed = newKey("*");
    String scoped = newKey("Other.*");
    String failing = newKey("*");
    String unknown = "oy2-never-registered-" + UUID.randomUUID();
    byte[] snupkg = published("Auth.Logs");
    List<String> lines;
    try (LogCapture logs = new LogCapture()) {
      assertReply(201, "Created", http.push(SYMBOLS, allowed, snupkg));
      assertReply(403, FORBIDDEN, http.push(SYMBOLS, unknown, snupkg));
      assertReply(403, FORBIDDEN, http.push(SYMBOLS, scoped, snupkg));
      auth.mode(Mode.ERROR_500);
      assertUnavailable(http.push(SYMBOLS, failing, snupkg), "10");
      auth.mode(Mode.NORMAL);
      assertReply(201, "Created", http.push(SYMBOLS, failing, snupkg));
      lines = logs.lines();
    }
    String subject = "ci-" + allowed.substring(3, 11);
    assertTrue(lines.stream().anyMatch(l -> l.contains(subject)), "the capture works: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.contains("Auth service")), "the outage was logged: " + lines);
    for (String key : List.of(allowed, scoped, failing, unknown)) {
      List<String> leaks = lines.stream().filter(l -> l.contains(key)).toList();
      assertEquals(List.of(), leaks, "the key " + key + " was logged");
    }
  }
}
