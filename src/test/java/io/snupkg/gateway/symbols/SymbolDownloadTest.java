package io.snupkg.gateway.symbols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.testing.RawHttp;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SSQP route against the real gateway: PDBs are placed where the publisher writes them
 * ({@code ssqp/{file}/{key}/{file}}, lowercase, and indexed) and fetched as a symbol client would, with the conditional and
 * range requests of a caching proxy or a resuming download. Headers are part of every assertion, so the requests
 * go through Vert.x's client directly (the shared {@code Http} helper sends no custom headers).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class SymbolDownloadTest {
  static final UUID GUID = UUID.fromString("497b72f6-390a-44fc-878e-5a2d63b6cc4b");
  /** The SSQP key of {@link #GUID}: its N form, then the portable-PDB age slot {@code FFFFFFFF}. */
  static final String KEY = "497b72f6390a44fc878e5a2d63b6cc4bffffffff";
  static final String URL = "/download/symbols/foo.pdb/" + KEY + "/foo.pdb";
  /** Big enough that a range in the middle is not the metadata header. */
  static final byte[] PDB = PortablePdb.write(GUID, 0x12345678, 64 * 1024, true);

  GatewayFixture gw;
  HttpClient client;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    gw = GatewayFixture.builder(dir).start();
    client = gw.vertx.createHttpClient();
    place("foo.pdb", KEY, PDB);
    place("empty.pdb", KEY, new byte[0]);
    // Outside the store, where a traversal would have to reach.
    Files.write(dir.resolve("secret.pdb"), "secret".getBytes(StandardCharsets.UTF_8));
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (client != null) {
        client.close().await();
      }
    } finally {
      if (gw != null) {
        gw.close();
      }
    }
  }

  private void place(String file, String key, byte[] bytes) throws IOException {
    gw.placeSymbol(file, key, bytes);
  }

  /** One request; {@code headers} are name, value pairs. */
  private Reply request(HttpMethod method, String path, String... headers) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(gw.port())
        .setURI(path);
    for (int i = 0; i < headers.length; i += 2) {
      options.putHeader(headers[i], headers[i + 1]);
    }
    // As in Http: subscribe to the response before ending the request, or a body that comes early is dropped.
    Future<Reply> reply = client.request(options).compose(req -> {
      Future<Reply> answer = req.response().compose((HttpClientResponse resp) ->
          resp.body().map(b -> new Reply(resp.statusCode(), resp.statusMessage(), b, resp.headers())));
      req.end();
      return answer;
    });
    try {
      return reply.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer: " + method + " " + path, e);
    }
  }

  private Reply get(String path, String... headers) {
    return request(HttpMethod.GET, path, headers);
  }

  @Test
  void getStreamsTheStoredBytesWithCachingHeaders() {
    Reply r = get(URL);
    assertEquals(200, r.status(), r.reason());
    assertArrayEquals(PDB, r.bytes().getBytes());
    assertEquals("application/octet-stream", r.headers().get("Content-Type"));
    assertEquals(String.valueOf(PDB.length), r.headers().get("Content-Length"));
    assertEquals(SymbolDownloadHandler.CACHE_CONTROL, r.headers().get("Cache-Control"));
    assertEquals("bytes", r.headers().get("Accept-Ranges"));
    String etag = r.headers().get("ETag");
    assertNotNull(etag);
    assertTrue(etag.startsWith("\"") && etag.endsWith("\""), etag);
    assertEquals(etag, get(URL).headers().get("ETag"), "the ETag is stable");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/download/symbols/foo.pdb/497B72F6390A44FC878E5A2D63B6CC4BFFFFFFFF/foo.pdb",
      "/download/symbols/foo.pdb/497b72f6390a44fc878e5a2d63b6cc4bFFFFFFFF/foo.pdb",
      "/download/symbols/FOO.PDB/497b72f6390a44fc878e5a2d63b6cc4bffffffff/FOO.PDB",
      "/download/symbols/Foo.pdb/497b72f6390a44fc878e5a2d63b6cc4bffffffff/foo.PDB"})
  void keysAndFileNamesAreCaseInsensitive(String path) {
    Reply r = get(path);
    assertEquals(200, r.status(), r.reason());
    assertArrayEquals(PDB, r.bytes().getBytes());
  }

  @Test
  void differentFileSegmentsAreNotFound() {
    Reply r = get("/download/symbols/foo.pdb/" + KEY + "/bar.pdb");
    assertEquals(404, r.status());
    assertEquals("The two file names of a symbol key must be the same: foo.pdb and bar.pdb differ", r.reason());
  }

  @Test
  void unknownKeyOrFileIsNotFoundWithAReason() {
    String otherKey = UUID.randomUUID().toString().replace("-", "") + "FFFFFFFF";
    Reply r = get("/download/symbols/foo.pdb/" + otherKey + "/foo.pdb");
    assertEquals(404, r.status());
    assertEquals("No symbol file foo.pdb with key " + otherKey.toLowerCase(Locale.ROOT) + " is stored", r.reason());
    assertEquals(404, get("/download/symbols/bar.pdb/" + KEY + "/bar.pdb").status());
    assertEquals(404, get("/download/symbols/foo.pdb/" + KEY).status(), "two segments are not a key");
  }

  @Test
  void matchingIfNoneMatchGivesNotModified() {
    String etag = get(URL).headers().get("ETag");
    for (String header : new String[] {etag, "W/" + etag, "\"other\", " + etag, "*"}) {
      Reply r = get(URL, "If-None-Match", header);
      assertEquals(304, r.status(), header);
      assertEquals(0, r.bytes().length());
      assertEquals(etag, r.headers().get("ETag"));
    }
    assertEquals(200, get(URL, "If-None-Match", "\"other\"").status());
    assertEquals(304, request(HttpMethod.HEAD, URL, "If-None-Match", etag).status());
  }

  @Test
  void singleRangesArePartialContent() {
    int n = PDB.length;
    assertRange("bytes=0-9", 0, 9);
    assertRange("bytes=1000-", 1000, n - 1);
    assertRange("bytes=-16", n - 16, n - 1);
    assertRange("bytes=100-" + (n + 5000), 100, n - 1);
    assertRange("bytes=" + (n - 1) + "-" + (n - 1), n - 1, n - 1);
    assertRange("bytes=-" + (n * 2), 0, n - 1);
    assertRange("Bytes= 5 - 6", 5, 6);
  }

  private void assertRange(String range, int first, int last) {
    Reply r = get(URL, "Range", range);
    assertEquals(206, r.status(), range + ": " + r.reason());
    assertEquals("bytes " + first + "-" + last + "/" + PDB.length, r.headers().get("Content-Range"), range);
    assertEquals(String.valueOf(last - first + 1), r.headers().get("Content-Length"), range);
    assertArrayEquals(Arrays.copyOfRange(PDB, first, last + 1), r.bytes().getBytes(), range);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=0-1,5-9", "bytes=9-3", "bytes=abc", "bytes=-", "items=0-9", "bytes=0-1x"})
  void multipleOrMalformedRangesGetTheWholeFile(String range) {
    Reply r = get(URL, "Range", range);
    assertEquals(200, r.status(), range);
    assertArrayEquals(PDB, r.bytes().getBytes(), range);
  }

  @Test
  void ifRangeWithAnotherValidatorGetsTheWholeFile() {
    String etag = get(URL).headers().get("ETag");
    assertEquals(206, get(URL, "Range", "bytes=0-9", "If-Range", etag).status());
    Reply stale = get(URL, "Range", "bytes=0-9", "If-Range", "\"stale\"");
    assertEquals(200, stale.status());
    assertArrayEquals(PDB, stale.bytes().getBytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=SIZE-", "bytes=-0", "bytes=99999999999999999999999-"})
  void unsatisfiableRangeIs416WithTheSize(String range) {
    Reply r = get(URL, "Range", range.replace("SIZE", String.valueOf(PDB.length)));
    assertEquals(416, r.status(), range);
    assertEquals("bytes */" + PDB.length, r.headers().get("Content-Range"));
  }

  @Test
  void emptyFileIsServedAndNoRangeOfItIsSatisfiable() {
    String path = "/download/symbols/empty.pdb/" + KEY + "/empty.pdb";
    Reply r = get(path);
    assertEquals(200, r.status(), r.reason());
    assertEquals("0", r.headers().get("Content-Length"));
    assertEquals(416, get(path, "Range", "bytes=-5").status());
    assertEquals("bytes */0", get(path, "Range", "bytes=0-").headers().get("Content-Range"));
  }

  @Test
  void headHasTheHeadersAndNoBody() throws IOException {
    Reply r = request(HttpMethod.HEAD, URL);
    assertEquals(200, r.status(), r.reason());
    assertEquals(String.valueOf(PDB.length), r.headers().get("Content-Length"));
    assertEquals(get(URL).headers().get("ETag"), r.headers().get("ETag"));
    // Range is defined for GET only: a HEAD describes the whole file.
    assertEquals(String.valueOf(PDB.length), request(HttpMethod.HEAD, URL, "Range", "bytes=0-9")
        .headers().get("Content-Length"));
    assertEquals(404, request(HttpMethod.HEAD, "/download/symbols/x.pdb/" + KEY + "/x.pdb").status());
    // On the wire: the next response on the connection starts right after the HEAD's head, so no body was sent.
    try (RawHttp raw = new RawHttp(gw.port())) {
      raw.write("HEAD " + URL + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals(200, raw.readHead().status());
      raw.write("GET " + URL + " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n");
      RawHttp.Head next = raw.readHead();
      assertEquals(206, next.status());
      assertEquals(new String(PDB, 0, 4, StandardCharsets.UTF_8), raw.readBody(next));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/download/symbols/../../../secret.pdb",
      "/download/symbols/%2e%2e/%2e%2e/%2e%2e/secret.pdb",
      "/download/symbols/..%2f..%2f..%2fsecret.pdb/k/..%2f..%2f..%2fsecret.pdb",
      "/download/symbols/..%2F..%2F..%2Fsecret.pdb/..%2F..%2F..%2Fsecret.pdb/..%2F..%2F..%2Fsecret.pdb",
      "/download/symbols/..%5c..%5c..%5csecret.pdb/k/..%5c..%5c..%5csecret.pdb",
      "/download/symbols/%252e%252e/%252e%252e/%252e%252e",
      "/download/symbols/foo.pdb/../../ssqp/foo.pdb",
      "/download/symbols/foo.pdb/..%2f" + KEY + "/foo.pdb",
      "/download/symbols/foo.pdb/.%2f" + KEY + "/foo.pdb",
      "/download/symbols/.foo.pdb/" + KEY + "/.foo.pdb",
      "/download/symbols/foo%20.pdb/" + KEY + "/foo%20.pdb",
      "/download/symbols/foo.pdb%00/" + KEY + "/foo.pdb%00"})
  void traversalAndOddSegmentsNeverReachAFile(String path) {
    Reply r = get(path);
    assertTrue(r.status() == 404 || r.status() == 400, path + ": " + r);
    assertNotEquals("secret", r.body());
    assertFalse(r.bytes().length() == PDB.length, path);
  }

  @Test
  void rawBackslashesNeverReachAFile() throws IOException {
    try (RawHttp raw = new RawHttp(gw.port())) {
      raw.write("GET /download/symbols/..\\..\\..\\secret.pdb/k/..\\..\\..\\secret.pdb HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Head head = raw.readHead();
      assertTrue(head.status() == 404 || head.status() == 400, head.toString());
      assertNotEquals("secret", raw.readBody(head));
    }
  }

  @Test
  void segmentRules() {
    assertTrue(SsqpKeys.validSegment("Foo_Bar-1.2.pdb"));
    assertTrue(SsqpKeys.validSegment("sha1-0123abcd"));
    String[] bad = {"", ".", "..", "a..b", ".hidden", "a/b", "a\\b", "a b", "é.pdb", "x".repeat(256)};
    for (String segment : bad) {
      assertFalse(SsqpKeys.validSegment(segment), segment);
    }
    assertEquals("ssqp/foo.pdb/" + KEY + "/foo.pdb",
        SsqpKeys.storageKey("FOO.pdb", KEY.toUpperCase(Locale.ROOT)));
  }
}
