package io.snupkg.gateway.feed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.config.ConfigLoader;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.testing.TestV3Feed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upstream feed against a real V3 feed on loopback: the nupkg download that PDB matching will use, the
 * parent cache, and the service index's refresh and fallback.
 */
@Timeout(60)
class UpstreamFeedTest {
  Vertx vertx;
  TestV3Feed server;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    server = TestV3Feed.start(vertx);
  }

  @AfterEach
  void stop() {
    server.close();
    vertx.close().await();
  }

  private UpstreamFeed feed(String refresh) {
    GatewayConfig.Feed config = ConfigLoader.fromYaml("feed:\n  type: upstream\n  url: " + server.serviceIndexUrl()
        + "\n  timeout: 2s\n  refresh: " + refresh + "\n", "test", Map.of()).feed();
    return new UpstreamFeed(vertx, config, Clock.systemUTC());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  private static Rejection rejection(Future<?> f) {
    try {
      f.await(20, TimeUnit.SECONDS);
    } catch (Rejection r) {
      return r;
    } catch (Exception e) {
      throw new AssertionError("expected a Rejection, got " + e, e);
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void downloadStreamsTheNupkgToAFile(@TempDir Path dir) throws Exception {
    byte[] nupkg = TestPackages.nupkg("Down.Load", "2.0.0-Beta");
    server.publishNow("Down.Load", "2.0.0-Beta", nupkg);
    UpstreamFeed feed = feed("10m");
    Path target = dir.resolve("parent.nupkg");
    await(feed.download("down.LOAD", "2.0.0-beta", target));
    assertArrayEquals(nupkg, Files.readAllBytes(target));

    assertEquals(404, rejection(feed.download("Down.Load", "9.9.9", dir.resolve("missing.nupkg"))).status());
    server.down();
    Rejection r = rejection(feed.download("Down.Load", "2.0.0-Beta", dir.resolve("again.nupkg")));
    assertEquals(503, r.status());
    assertEquals("The upstream feed is unavailable; retry later", r.reason());
  }

  @Test
  void aParentOnceFoundIsNotAskedForAgain() throws Exception {
    server.publishNow("Found.Once", "1.0.0", TestPackages.nupkg("Found.Once", "1.0.0"));
    UpstreamFeed feed = feed("10m");
    assertTrue(await(feed.contains("Found.Once", "1.0.0")));
    int calls = server.versionListCalls();
    assertTrue(await(feed.contains("found.once", "1.0.0")));
    assertEquals(calls, server.versionListCalls());
    assertFalse(await(feed.contains("Found.Once", "2.0.0")), "a missing version is asked for every time");
    assertEquals(calls + 1, server.versionListCalls());
  }

  @Test
  void theServiceIndexIsReadAgainAfterRefreshAndTheLastGoodOneOutlivesAnOutage() throws Exception {
    server.publishNow("Idx.Pkg", "1.0.0", TestPackages.nupkg("Idx.Pkg", "1.0.0"));
    UpstreamFeed feed = feed("1s");
    assertEquals(server.baseUrl() + "/v3-flatcontainer/", await(feed.resources()).packageBaseAddress());
    await(feed.resources());
    assertEquals(1, server.serviceIndexCalls(), "read once within the refresh period");
    Thread.sleep(1200);
    await(feed.resources());
    assertEquals(2, server.serviceIndexCalls(), "read again after it");

    server.mode(TestV3Feed.Mode.ERROR_500);
    Thread.sleep(1200);
    assertEquals(server.baseUrl() + "/api/v2/package", await(feed.resources()).packagePublish(),
        "a failed re-read keeps the last good index");
    assertTrue(feed.available());
  }

  @Test
  void aFeedThatWasNeverReachableIs503() {
    server.down();
    Rejection r = rejection(feed("10m").contains("Any.Pkg", "1.0.0"));
    assertEquals(503, r.status());
    assertTrue(r.retryAfter().isPresent());
  }
}
