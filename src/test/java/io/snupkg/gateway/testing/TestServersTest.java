package io.snupkg.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.Http.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The stand-ins for the upstream services keep to their contracts: proxy-mode tests trust their answers and
 * counters, so a bug here would show up as a gateway bug. The JDK client is used where a client-side timeout or a
 * refused connection is the point; {@link Http} where the reason phrase is.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class TestServersTest {
  static final String KEY = "feed-key";

  Vertx vertx;
  TestAuthService auth;
  TestV3Feed feed;
  Http http;
  // HTTP/1.1 only: the JDK client otherwise upgrades to h2c and may reuse a connection the server is closing in
  // down(), which fails with "GOAWAY received" instead of the refused connection these tests look for.
  final HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @BeforeEach
  void start() {
    auth = TestAuthService.start(vertx);
    feed = TestV3Feed.start(vertx).acceptKey(KEY);
    http = new Http(vertx, feed.port());
  }

  @AfterEach
  void stop() {
    http.close();
    auth.close();
    feed.close();
  }

  @AfterAll
  void stopVertx() {
    vertx.close().await();
  }

  private HttpResponse<String> check(String json, String... headers) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(auth.url())).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return jdk.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String request(String apiKey, String packageId) {
    return new JsonObject().put("apiKey", apiKey).put("action", "symbols.push").put("packageId", packageId)
        .put("packageVersion", packageId == null ? null : "1.2.3").encode();
  }

  private JsonObject verdict(String apiKey, String packageId) throws Exception {
    HttpResponse<String> r = check(request(apiKey, packageId));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private int status(String url, Duration timeout) throws Exception {
    return jdk.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void authAnswersByContractAndCounts() throws Exception {
    auth.key("k1", "ci-bot-7", "Contoso.*").key("all", "ci-all", "*").expired("old", "o").revoked("gone", "g");
    assertEquals(new JsonObject().put("allowed", true).put("subject", "ci-bot-7").put("cacheSeconds", 60),
        verdict("k1", null));
    assertEquals(true, verdict("k1", "contoso.lib").getBoolean("allowed"));
    assertEquals(new JsonObject().put("allowed", false).put("reason", "scope"), verdict("k1", "Other.Lib"));
    assertEquals(true, verdict("all", "Other.Lib").getBoolean("allowed"));
    assertEquals("invalid", verdict("nope", null).getString("reason"));
    assertEquals("expired", verdict("old", "Contoso.Lib").getString("reason"));
    assertEquals("revoked", verdict("gone", null).getString("reason"));
    assertEquals(7, auth.calls());
    assertEquals(3, auth.admissionCalls());
    assertEquals(4, auth.scopeCalls());
    auth.cacheSeconds(42).reset();
    assertEquals(42, verdict("k1", null).getInteger("cacheSeconds"));
    verdict("k1", "Contoso.Lib");
    assertEquals("Contoso.Lib", auth.lastRequest().getString("packageId"));
    assertEquals(2, auth.calls());
  }

  @Test
  void authRefusesMalformedRequestsAndMissingBearer() throws Exception {
    assertEquals(400, check("{not json").statusCode());
    assertEquals(400, check("{\"apiKey\": 7, \"action\": \"symbols.push\"}").statusCode());
    assertEquals(400, check("{\"apiKey\": \"k\", \"action\": \"other\"}").statusCode());
    auth.key("k", "s", "*").requireBearer("t0ken");
    assertEquals(401, check(request("k", null)).statusCode());
    assertEquals(401, check(request("k", null), "Authorization", "Bearer wrong").statusCode());
    HttpResponse<String> ok = check(request("k", null), "Authorization", "Bearer t0ken");
    assertEquals(200, ok.statusCode());
    assertEquals("Bearer t0ken", auth.lastHeaders().get("authorization"));
    assertEquals(6, auth.calls());
  }

  @Test
  void authModesAndDownUp() throws Exception {
    auth.key("k", "s", "*");
    String url = auth.url();
    auth.mode(TestAuthService.Mode.ERROR_500);
    assertEquals(500, check(request("k", null)).statusCode());
    auth.mode(TestAuthService.Mode.SLOW).delay(Duration.ofMillis(300));
    long t0 = System.nanoTime();
    assertEquals(200, check(request("k", null)).statusCode());
    assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(300).toNanos());
    auth.mode(TestAuthService.Mode.HANG);
    HttpRequest hung = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(300))
        .POST(HttpRequest.BodyPublishers.ofString(request("k", null))).build();
    assertThrows(HttpTimeoutException.class, () -> jdk.send(hung, HttpResponse.BodyHandlers.ofString()));
    assertEquals(3, auth.calls());
    auth.mode(TestAuthService.Mode.NORMAL).down();
    assertThrows(IOException.class, () -> check(request("k", null))); // refused, or a pooled connection closed
    auth.up();
    assertEquals(url, auth.url());
    assertEquals(true, verdict("k", null).getBoolean("allowed"));
  }

  @Test
  void serviceIndexPointsAtTheFeed() {
    JsonObject index = new JsonObject(http.get("/v3/index.json").body());
    assertEquals("3.0.0", index.getString("version"));
    String base = feed.baseUrl();
    assertEquals(new JsonArray()
        .add(new JsonObject().put("@id", base + "/v3-flatcontainer/").put("@type", "PackageBaseAddress/3.0.0"))
        .add(new JsonObject().put("@id", base + "/api/v2/package").put("@type", "PackagePublish/2.0.0")),
        index.getJsonArray("resources"));
    assertEquals(feed.baseUrl() + "/v3/index.json", feed.serviceIndexUrl());
    assertEquals(1, feed.serviceIndexCalls());
  }

  @Test
  void multipartPushIsExtractedByteForByteAndIndexedLater() throws Exception {
    feed.indexDelay(Duration.ofMillis(400));
    byte[] nupkg = TestPackages.nupkg("Contoso.Lib", "01.2.0.0+build.5");
    Multipart m = new Multipart();
    byte[] body = m.wrap(nupkg);
    Reply r = http.send(HttpMethod.PUT, "/api/v2/package/", KEY, m.contentType(), body, true);
    assertEquals(201, r.status(), r.toString());
    assertEquals("Created", r.reason());
    assertNull(r.headers().get("X-NuGet-Warning"));
    assertArrayEquals(nupkg, feed.received("CONTOSO.LIB", "1.2.0"));
    TestV3Feed.Push push = feed.pushes().get(0);
    assertArrayEquals(body, push.body());
    assertEquals(m.contentType(), push.contentType());
    assertEquals(KEY, push.headers().get("x-nuget-apikey"));
    assertEquals(404, http.get("/v3-flatcontainer/contoso.lib/index.json").status());
    assertEquals(404, http.get("/v3-flatcontainer/contoso.lib/1.2.0/contoso.lib.1.2.0.nupkg").status());
    Thread.sleep(500);
    feed.publishNow("Contoso.Lib", "1.10.0-Beta", nupkg).publish("Contoso.Lib", "2.0.0", nupkg);
    JsonObject versions = new JsonObject(http.get("/v3-flatcontainer/contoso.lib/index.json").body());
    assertEquals(List.of("1.2.0", "1.10.0-beta"), versions.getJsonArray("versions").getList());
    assertEquals(404, http.get("/v3-flatcontainer/Contoso.Lib/index.json").status());
    assertEquals(3, feed.versionListCalls());
    Reply download = http.get("/v3-flatcontainer/contoso.lib/1.2.0/contoso.lib.1.2.0.nupkg");
    assertArrayEquals(nupkg, download.bytes().getBytes());
    assertEquals("application/octet-stream", download.headers().get("Content-Type"));
    Reply head = http.send(HttpMethod.HEAD, "/v3-flatcontainer/contoso.lib/1.2.0/contoso.lib.1.2.0.nupkg", null,
        null, null, false);
    assertEquals(200, head.status());
    assertEquals(String.valueOf(nupkg.length), head.headers().get("Content-Length"));
    assertEquals(0, head.bytes().length());
  }

  @Test
  void pushRefusalsDuplicatesAndWarnings() {
    byte[] nupkg = TestPackages.nupkg("Dup.Lib", "1.0.0");
    Reply bad = http.push("/api/v2/package", "wrong", nupkg);
    assertEquals(403, bad.status());
    assertEquals(TestV3Feed.INVALID_KEY, bad.reason());
    assertEquals(400, http.pushRaw("/api/v2/package", KEY, new byte[] {1, 2, 3}).status());
    feed.warning("Deprecated API");
    Reply raw = http.pushRaw("/api/v2/package", KEY, nupkg);
    assertEquals(201, raw.status(), raw.toString());
    assertEquals("Deprecated API", raw.headers().get("X-NuGet-Warning"));
    assertArrayEquals(nupkg, feed.received("dup.lib", "1.0.0.0"));
    Reply dup = http.push("/api/v2/package/", KEY, TestPackages.nupkg("DUP.lib", "1.0"));
    assertEquals(409, dup.status());
    assertEquals("A package with ID 'DUP.lib' and version '1.0.0' already exists and cannot be modified.",
        dup.reason());
    assertEquals(List.of(403, 400, 201, 409), feed.pushes().stream().map(TestV3Feed.Push::status).toList());
  }

  @Test
  void feedModesHeldDownloadsAndDownUp() throws Exception {
    byte[] nupkg = TestPackages.nupkg("Held.Lib", "1.0.0");
    feed.publishNow("Held.Lib", "1.0.0", nupkg);
    String file = feed.baseUrl() + "/v3-flatcontainer/held.lib/1.0.0/held.lib.1.0.0.nupkg";
    feed.holdDownloads(true);
    assertThrows(HttpTimeoutException.class, () -> status(file, Duration.ofMillis(300)));
    var pending = jdk.sendAsync(HttpRequest.newBuilder(URI.create(file)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    Thread.sleep(200);
    assertFalse(pending.isDone());
    feed.holdDownloads(false);
    assertArrayEquals(nupkg, pending.get().body());
    feed.mode(TestV3Feed.Mode.ERROR_500);
    assertEquals(500, status(feed.serviceIndexUrl(), Duration.ofSeconds(5)));
    assertEquals(500, http.pushRaw("/api/v2/package", KEY, nupkg).status());
    feed.mode(TestV3Feed.Mode.HANG);
    assertThrows(HttpTimeoutException.class, () -> status(feed.serviceIndexUrl(), Duration.ofMillis(300)));
    var hung = jdk.sendAsync(HttpRequest.newBuilder(URI.create(feed.serviceIndexUrl())).build(),
        HttpResponse.BodyHandlers.discarding());
    Thread.sleep(200);
    long t0 = System.nanoTime();
    feed.mode(TestV3Feed.Mode.NORMAL).down(); // drops the hung connection rather than waiting for it
    assertThrows(ExecutionException.class, () -> hung.get(5, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
    assertThrows(IOException.class, () -> status(feed.serviceIndexUrl(), Duration.ofSeconds(5)));
    int port = feed.port();
    feed.up();
    assertEquals(port, feed.port());
    assertEquals(200, status(feed.serviceIndexUrl(), Duration.ofSeconds(5)));
  }
}
