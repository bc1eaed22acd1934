package io.snupkg.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.ModernClient;
import io.snupkg.gateway.testing.RawHttp;
import io.snupkg.gateway.testing.TestPackages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every status other than 2xx that the gateway answers, on every route, has a reason phrase: .NET prints
 * {@code Response status code does not indicate success: 409.} when it is empty, and the reason is all a NuGet
 * user ever reads (modern-client.md §8.1). The answers are read off the wire over raw sockets.
 */
@Timeout(60)
class EveryStatusHasAReasonTest {
  @TempDir
  static Path dir;
  static GatewayFixture gw;
  static GatewayFixture limited;
  static GatewayFixture full;
  static Http http;
  static String key;

  @BeforeAll
  static void start() {
    gw = GatewayFixture.builder(dir.resolve("main")).key("ci", "*").key("narrow", "Other.*").start();
    limited = GatewayFixture.builder(dir.resolve("limited")).key("ci", "*").yaml("rateLimit", "pushesPerHour: 1")
        .start();
    // A disk that can never have enough room: every push is refused as on a full disk.
    full = GatewayFixture.builder(dir.resolve("full")).key("ci", "*").yaml("storage", "minFreeSpace: 1000000GiB")
        .start();
    http = new Http(gw.vertx, gw.port());
    key = gw.key("ci");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      GatewayFixture.closeAll(http, gw);
    } finally {
      limited.close();
      full.close();
    }
  }

  @Test
  void everyNon2xxAnswerOnEveryRouteCarriesAReasonPhrase() throws Exception {
    String id = "Reason.Every";
    byte[] nupkg = TestPackages.nupkg(id, "1.0.0");
    byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
    int port = gw.port();
    assertEquals(201, ModernClient.exchange(port, new ModernClient().put(port, "/api/v2/package/", key, nupkg))
        .status());
    assertEquals(201, ModernClient.exchange(port, new ModernClient().put(port, "/api/v2/symbolpackage/", key, snupkg))
        .status());
    gw.awaitSymbolState(http, id, "1.0.0", "available");
    String pdb = id + ".pdb";
    String ssqp = "/download/symbols/" + pdb + "/" + TestPackages.pdbId(id, "1.0.0").toString().replace("-", "")
        + "FFFFFFFF/" + pdb;
    String etag = http.get(ssqp).headers().get("ETag");
    String lower = id.toLowerCase(java.util.Locale.ROOT);

    Map<String, RawHttp.Head> answers = new LinkedHashMap<>();
    answers.put("400 not a zip", push(port, "/api/v2/symbolpackage/", key, new byte[] {1, 2, 3}));
    answers.put("401 no key", push(port, "/api/v2/symbolpackage/", null, snupkg));
    answers.put("403 bad key", push(port, "/api/v2/symbolpackage/", "not-a-key", snupkg));
    answers.put("403 out of scope", push(port, "/api/v2/package/", gw.key("narrow"), TestPackages.nupkg(id, "2.0.0")));
    answers.put("404 no parent", push(port, "/api/v2/symbolpackage/", key, TestPackages.snupkg("Reason.None",
        "1.0.0")));
    answers.put("404 no route", get(port, "GET", "/nothing/here", ""));
    answers.put("404 no PDB", get(port, "GET", "/download/symbols/" + pdb + "/" + "0".repeat(32) + "FFFFFFFF/" + pdb,
        ""));
    answers.put("404 HEAD no PDB", get(port, "HEAD", "/download/symbols/" + pdb + "/" + "0".repeat(32) + "FFFFFFFF/"
        + pdb, ""));
    answers.put("404 no snupkg", get(port, "GET", "/api/v2/symbolpackage/Reason.None/1.0.0", ""));
    answers.put("404 no status", get(port, "GET", "/api/v2/symbolpackage/Reason.None/1.0.0/status", ""));
    answers.put("404 no nupkg", get(port, "GET", "/v3/flatcontainer/reason.none/1.0.0/reason.none.1.0.0.nupkg", ""));
    answers.put("404 no versions", get(port, "GET", "/v3/flatcontainer/reason.none/index.json", ""));
    answers.put("405 DELETE", get(port, "DELETE", "/api/v2/symbolpackage/", ""));
    answers.put("409 duplicate", push(port, "/api/v2/package/", key, TestPackages.zip(TestPackages.nupkgEntries(id,
        "1.0.0"), java.util.zip.ZipEntry.STORED)));
    answers.put("413 declared", get(port, "PUT", "/api/v2/symbolpackage/", "X-NuGet-ApiKey: " + key
        + "\r\nContent-Length: 999999999999\r\n"));
    answers.put("304 not modified", get(port, "GET", ssqp, "If-None-Match: " + etag + "\r\n"));
    answers.put("304 nupkg", get(port, "GET", "/v3/flatcontainer/" + lower + "/1.0.0/" + lower + ".1.0.0.nupkg",
        "If-None-Match: " + http.get("/v3/flatcontainer/" + lower + "/1.0.0/" + lower + ".1.0.0.nupkg").headers()
            .get("ETag") + "\r\n"));
    answers.put("416 range", get(port, "GET", ssqp, "Range: bytes=999999999-\r\n"));
    answers.put("431 head too large", get(port, "GET", "/v3/index.json", "X-Big: " + "a".repeat(20_000) + "\r\n"));
    answers.put("414 line too long", get(port, "GET", "/v3/" + "a".repeat(10_000), ""));
    answers.put("400 not HTTP", raw(port, "NOT HTTP AT ALL\r\n\r\n"));
    answers.put("429 rate", twice(limited.port(), limited.key("ci")));
    answers.put("503 full disk", push(full.port(), "/api/v2/symbolpackage/", full.key("ci"), snupkg));
    answers.put("503 not ready", get(full.gateway.managementPort(), "GET", "/health/ready", ""));
    answers.put("404 management", get(full.gateway.managementPort(), "GET", "/nothing", ""));

    TreeSet<Integer> statuses = new TreeSet<>();
    for (Map.Entry<String, RawHttp.Head> a : answers.entrySet()) {
      RawHttp.Head head = a.getValue();
      assertEquals(Integer.parseInt(a.getKey().substring(0, 3)), head.status(), a.getKey() + ": " + head);
      assertFalse(head.reason().isBlank(), a.getKey() + ": the status line has no reason phrase");
      statuses.add(head.status());
    }
    System.out.println("[reasons] statuses checked: " + statuses);
  }

  private static RawHttp.Head push(int port, String path, String apiKey, byte[] file) throws IOException {
    return ModernClient.exchange(port, new ModernClient().put(port, path, apiKey, file));
  }

  /** The second push of one key with a bucket of one. */
  private static RawHttp.Head twice(int port, String apiKey) throws IOException {
    push(port, "/api/v2/symbolpackage/", apiKey, TestPackages.snupkg("Reason.Rate", "1.0.0"));
    return push(port, "/api/v2/symbolpackage/", apiKey, TestPackages.snupkg("Reason.Rate", "1.0.0"));
  }

  private static RawHttp.Head get(int port, String method, String path, String headers) throws IOException {
    return raw(port, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n");
  }

  private static RawHttp.Head raw(int port, String request) throws IOException {
    try (RawHttp raw = new RawHttp(port)) {
      raw.write(request);
      return raw.readHead();
    }
  }
}
