package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.Multipart;
import io.snupkg.gateway.testing.RawHttp;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.testing.TestV3Feed;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code feed.type: upstream} against {@link TestV3Feed}, a real V3 feed on loopback: parents looked up there (with
 * the wait for a feed that indexes late, and 503 rather than 404 when it cannot be asked), its download address in
 * the service index, and nupkg pushes passed through to its PackagePublish byte for byte, its answers relayed.
 */
class ProxyFeedTest extends ProxyModeTestBase {
  static final String UNAVAILABLE = "The upstream feed is unavailable; retry later";
  static final String KEY = "oy2-symbols-key";
  static final String FEED_KEY = "feed-key";

  TestV3Feed feed;

  @Override
  GatewayFixture.Builder mainGateway() {
    stand.auth.key(KEY, "ci", "*");
    feed = stand.feed.acceptKey(FEED_KEY);
    return gateway("main").yaml("feed", "parentWait: 2s").yaml("feed", "timeout: 2s")
        .yaml("limits", "maxPackageSize: 1MiB");
  }

  /** The feed's outage, begun. */
  private void begin(Outage outage) {
    switch (outage) {
      case DOWN -> feed.down();
      case HANG -> feed.mode(TestV3Feed.Mode.HANG);
      case ERROR_500 -> feed.mode(TestV3Feed.Mode.ERROR_500);
    }
  }

  private static void assertUnavailable(Reply r) {
    assertUnavailable(UNAVAILABLE, "10", r);
  }

  @Test
  void aParentIndexedLateIsWaitedFor() throws Exception {
    try (GatewayFixture g = gateway("late").yaml("feed", "parentWait: 10s").start(); Http h = client(g)) {
      feed.indexDelay(Duration.ofSeconds(3));
      long t0 = System.nanoTime();
      feed.publish("Feed.Late", "1.0.0", TestPackages.nupkg("Feed.Late", "1.0.0"));
      Reply r = h.push(SYMBOLS, KEY, TestPackages.snupkg("Feed.Late", "1.0.0"));
      long took = millisSince(t0);
      assertReply(201, "Created", r);
      assertTrue(took >= 3000 && took < 9000, "took " + took + " ms");
      assertTrue(feed.versionListCalls() >= 2, "looked again: " + feed.versionListCalls());
      assertEquals(List.of(), g.spoolFiles());
    }
  }

  @Test
  void aMissingParentIs404AfterTheWait() {
    long t0 = System.nanoTime();
    Reply r = http.push(SYMBOLS, KEY, TestPackages.snupkg("Feed.Orphan", "2.1.0"));
    long took = millisSince(t0);
    assertReply(404, "A package with ID 'Feed.Orphan' and version '2.1.0' does not exist. "
        + "Please upload the package before uploading its symbols.", r);
    assertTrue(took >= 2000 && took < 6000, "took " + took + " ms with feed.parentWait 2s");
    assertTrue(feed.versionListCalls() >= 2, "looked again: " + feed.versionListCalls());
    assertTrue(gw.storedFiles().stream().noneMatch(p -> p.toString().contains("feed.orphan")));
    assertEquals(List.of(), gw.spoolFiles());
  }

  @ParameterizedTest
  @EnumSource(Outage.class)
  void anUnusableFeedIsA503NeverA404(Outage outage) {
    byte[] snupkg = published("Feed.Outage." + outage);
    List<Path> stored = gw.storedFiles();
    begin(outage);
    long t0 = System.nanoTime();
    Reply r = http.push(SYMBOLS, KEY, snupkg);
    long took = millisSince(t0);
    assertUnavailable(r);
    assertTrue(took < 4000, "took " + took + " ms with feed.timeout 2s");
    assertEquals(stored, gw.storedFiles());
    assertEquals(List.of(), gw.spoolFiles());
    stand.heal();
    assertReply(201, "Created", http.push(SYMBOLS, KEY, snupkg));
  }

  @Test
  void theServiceIndexAdvertisesTheGatewaysPushesAndTheFeedsDownloads() throws Exception {
    feed.down();
    try (GatewayFixture g = gateway("index").start(); Http h = client(g)) {
      assertUnavailable(h.get("/v3/index.json")); // the feed's download address cannot be known yet
    }
    feed.up();
    Reply r = http.get("/v3/index.json");
    assertReply(200, "OK", r);
    Map<String, String> byType = new HashMap<>();
    new JsonObject(r.body()).getJsonArray("resources").forEach(o -> byType.put(((JsonObject) o).getString("@type"),
        ((JsonObject) o).getString("@id")));
    assertEquals(Map.of("PackagePublish/2.0.0", gw.baseUrl() + "/api/v2/package",
        "SymbolPackagePublish/4.9.0", gw.baseUrl() + "/api/v2/symbolpackage",
        "PackageBaseAddress/3.0.0", feed.baseUrl() + "/v3-flatcontainer/"), byType);
    Reply local = http.get("/v3/flatcontainer/feed.any/index.json");
    assertEquals(404, local.status(), local.toString());
    assertTrue(local.reason().contains(feed.serviceIndexUrl()), local.reason());
  }

  @Test
  void aPackageGoesToTheFeedByteForByte() {
    byte[] nupkg = TestPackages.nupkg("Feed.Pass", "1.0.0");
    Multipart m = new Multipart();
    byte[] body = m.wrap(nupkg);
    Reply r = http.send(HttpMethod.PUT, PACKAGES, FEED_KEY, m.contentType(), body, true);
    assertReply(201, "Created", r);
    assertArrayEquals(nupkg, feed.received("Feed.Pass", "1.0.0"));
    TestV3Feed.Push push = feed.pushes().get(0);
    assertArrayEquals(body, push.body());
    assertEquals(m.contentType(), push.contentType());
    assertEquals(FEED_KEY, push.headers().get("X-NuGet-ApiKey"));
    assertEquals(0, stand.auth.calls(), "the feed checks its own keys");

    byte[] raw = TestPackages.nupkg("Feed.Pass", "2.0.0");
    assertReply(201, "Created", http.pushRaw(PACKAGES, FEED_KEY, raw));
    assertArrayEquals(raw, feed.received("Feed.Pass", "2.0.0"));
    assertEquals(String.valueOf(raw.length), feed.pushes().get(1).headers().get("Content-Length"));
  }

  @Test
  void theFeedsRefusalsAndWarningsAreRelayed() {
    byte[] nupkg = TestPackages.nupkg("Feed.Relay", "1.0.0");
    assertReply(403, TestV3Feed.INVALID_KEY, http.push(PACKAGES, "not-the-feeds-key", nupkg));
    assertNull(feed.received("Feed.Relay", "1.0.0"));
    feed.warning("This feed is read-only tomorrow");
    Reply created = http.push(PACKAGES, FEED_KEY, nupkg);
    assertReply(201, "Created", created);
    assertEquals("This feed is read-only tomorrow", created.headers().get("X-NuGet-Warning"));
    assertReply(409, "A package with ID 'Feed.Relay' and version '1.0.0' already exists and cannot be modified.",
        http.push(PACKAGES, FEED_KEY, TestPackages.nupkg("Feed.Relay", "1.0.0.0")));
    assertEquals(List.of(403, 201, 409), feed.pushes().stream().map(TestV3Feed.Push::status).toList());
  }

  @Test
  void aKeyOverItsRateIs429AndItsPushNeverReachesTheFeed() throws Exception {
    try (GatewayFixture g = gateway("limited").yaml("rateLimit", "pushesPerHour: 1").start(); Http h = client(g)) {
      assertReply(201, "Created", h.push(PACKAGES, FEED_KEY, TestPackages.nupkg("Feed.Limited", "1.0.0")));
      Reply r = h.push(PACKAGES, FEED_KEY, TestPackages.nupkg("Feed.Limited", "2.0.0"));
      assertEquals(429, r.status(), r.toString());
      assertTrue(r.reason().startsWith("Rate limit exceeded: this API key may push 1 packages an hour"), r.reason());
      assertTrue(r.reason().matches(".*retry after (3[0-9]{3}) s"), r.reason()); // the next push is an hour away
      assertEquals("60", r.headers().get("Retry-After"), "capped by http.maxRetryAfter");
      assertNull(feed.received("Feed.Limited", "2.0.0"));
      assertEquals(1, feed.pushes().size());
    }
  }

  @Test
  void aFeedThatFailsAPushIs503WithItsRetryAfter() {
    feed.mode(TestV3Feed.Mode.ERROR_500);
    Reply r = http.push(PACKAGES, FEED_KEY, TestPackages.nupkg("Feed.Failing", "1.0.0"));
    assertReply(503, "The upstream feed answered 500 (Internal Server Error); retry later", r);
    assertEquals("7", r.headers().get("Retry-After"));
  }

  @Test
  void aDeclaredLengthOverTheLimitIs413BeforeTheBody() throws Exception {
    try (RawHttp raw = new RawHttp(gw.port())) {
      raw.write("PUT " + PACKAGES + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-NuGet-ApiKey: " + FEED_KEY + "\r\n"
          + "Content-Type: application/octet-stream\r\nContent-Length: 2097152\r\nExpect: 100-continue\r\n\r\n");
      RawHttp.Head head = raw.readHead(); // not a byte of the body was sent
      assertEquals(413, head.status());
      assertEquals("The package exceeds the size limit of 1 MiB.", head.reason());
    }
    Reply r = http.pushRaw(PACKAGES, FEED_KEY, new byte[2 * 1024 * 1024]);
    assertReply(413, "The package exceeds the size limit of 1 MiB.", r);
    assertEquals(List.of(), feed.pushes());
  }

  @Test
  void aChunkedPackageOverTheLimitIs413AndNeverReachesTheFeed() {
    byte[] padding = new byte[1536 * 1024];
    new Random(7).nextBytes(padding); // incompressible, so the nupkg stays over 1 MiB
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("Feed.Big.nuspec", TestPackages.nuspec("Feed.Big", "1.0.0", false));
    entries.put("lib/net45/Feed.Big.dll", padding);
    Reply r = http.push(PACKAGES, FEED_KEY, TestPackages.zip(entries));
    assertReply(413, "The package exceeds the size limit of 1 MiB.", r);
    assertNull(feed.received("Feed.Big", "1.0.0"));
    assertTrue(feed.pushes().stream().noneMatch(p -> p.status() == 201), feed.pushes().toString());
  }

  @Test
  void anUnusableFeedIsA503ForPackagesToo() {
    feed.down();
    assertUnavailable(http.push(PACKAGES, FEED_KEY, TestPackages.nupkg("Feed.Down", "1.0.0")));
    assertNull(feed.received("Feed.Down", "1.0.0"));
  }

  @Test
  void aPackageWithoutAKeyIs401() {
    assertReply(401, "An API key must be provided in the 'X-NuGet-ApiKey' header to use this service",
        http.push(PACKAGES, null, TestPackages.nupkg("Feed.NoKey", "1.0.0")));
    assertEquals(List.of(), feed.pushes());
  }
}
