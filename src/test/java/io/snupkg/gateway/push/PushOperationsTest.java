package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.LogCapture;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators rely on around each push: the per-key rate limit, the request id, and the audit trail, against a
 * gateway that allows {@value #PER_HOUR} pushes an hour per key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class PushOperationsTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";
  static final String PACKAGES = "/api/v2/package/";
  static final int PER_HOUR = 3;

  GatewayFixture gw;
  Http http;

  @BeforeAll
  void start(@TempDir Path dir) {
    gw = GatewayFixture.builder(dir).key("limited", "*").key("other", "*").key("audited", "*")
        .yaml("rateLimit", "pushesPerHour: " + PER_HOUR).start();
    http = new Http(gw.vertx, gw.port());
  }

  @AfterAll
  void stop() throws Exception {
    GatewayFixture.closeAll(http, gw);
  }

  @Test
  void aKeyOverItsRateGets429WithRetryAfterAndOtherKeysGoOn() {
    for (int i = 0; i < PER_HOUR; i++) {
      assertEquals(201, http.push(PACKAGES, gw.key("limited"), TestPackages.nupkg("Rate.Pkg" + i, "1.0.0")).status());
    }
    List<Path> stored = gw.storedFiles();
    // The symbol route shares the admission: the bucket is the key's, whatever it pushes.
    Reply r = http.push(SYMBOLS, gw.key("limited"), TestPackages.snupkg("Rate.Pkg0", "1.0.0"));
    assertEquals(429, r.status(), r.toString());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Rate limit exceeded: this API key may push "
        + PER_HOUR + " packages an hour; retry after (\\d+) s").matcher(r.reason());
    assertTrue(m.matches(), r.reason());
    long nextPush = Long.parseLong(m.group(1));
    // Refilled at 3 an hour: the next push fits in at most 20 minutes, which the reason says; the header is capped
    // (http.maxRetryAfter, 60 s), so that the client's retries stay within its 300 s.
    assertTrue(nextPush >= 1 && nextPush <= 3600 / PER_HOUR, "next push in " + nextPush + " s");
    assertEquals(String.valueOf(Math.min(nextPush, 60)), r.headers().get("Retry-After"));
    assertEquals(stored, gw.storedFiles(), "a limited push stores nothing");
    assertEquals(List.of(), gw.spoolFiles());

    assertEquals(201, http.push(PACKAGES, gw.key("other"), TestPackages.nupkg("Rate.Other", "1.0.0")).status());
    // An unknown key is told it is unknown, not that it is limited: the limit must not reveal which keys exist.
    assertEquals(403, http.push(PACKAGES, "no-such-key", TestPackages.nupkg("Rate.Other", "2.0.0")).status());
  }

  @Test
  void theRequestIdIsEchoedWhenSaneAndGeneratedOtherwise() {
    String given = http.get("/", Map.of("X-Request-Id", "ci-run-42.7:step_3")).headers().get("X-Request-Id");
    assertEquals("ci-run-42.7:step_3", given);
    String generated = http.get("/").headers().get("X-Request-Id");
    assertTrue(generated.matches("[0-9a-f-]{36}"), generated);
    assertNotEquals(generated, http.get("/").headers().get("X-Request-Id"));
    assertEquals(4, java.util.UUID.fromString(generated).version(), "a random UUID: " + generated);
    assertEquals(2, java.util.UUID.fromString(generated).variant(), "an RFC 4122 UUID: " + generated);
    // Not echoed: a value that could forge a log line or is just too long.
    for (String bad : List.of("two words", "x".repeat(129), "id\"},{\"event\":\"forged")) {
      String answered = http.get("/", Map.of("X-Request-Id", bad)).headers().get("X-Request-Id");
      assertTrue(answered.matches("[0-9a-f-]{36}"), bad + " -> " + answered);
    }
  }

  @Test
  void everyPushLeavesOneAuditLineWithItsSubjectAndNeverTheKey() {
    String id = "Audit.Pkg";
    try (LogCapture logs = new LogCapture()) {
      Reply accepted = http.push(PACKAGES, gw.key("audited"), TestPackages.nupkg(id, "1.0.0"));
      assertEquals(201, accepted.status());
      Reply forbidden = http.push(PACKAGES, "wrong-key-123", TestPackages.nupkg(id, "2.0.0"));
      assertEquals(403, forbidden.status());
      Reply invalid = http.push(SYMBOLS, gw.key("audited"), TestPackages.nupkg(id, "1.0.0"));
      assertEquals(400, invalid.status());

      List<JsonObject> audit = auditLines(logs, 3);

      JsonObject first = audit.get(0);
      assertEquals("push", first.getString("event"));
      assertEquals("package", first.getString("kind"));
      assertEquals("accepted", first.getString("outcome"));
      assertEquals(201, first.getInteger("status"));
      assertEquals("audited", first.getString("subject"));
      assertEquals(id, first.getString("id"));
      assertEquals("1.0.0", first.getString("version"));
      assertEquals(128, first.getString("sha512").length());
      assertEquals(accepted.headers().get("X-Request-Id"), first.getString("requestId"));
      assertEquals("127.0.0.1", first.getString("client"));

      JsonObject second = audit.get(1);
      assertEquals("refused", second.getString("outcome"));
      assertEquals(403, second.getInteger("status"));
      assertEquals(null, second.getString("subject"), "an unknown key has no subject");
      assertEquals(forbidden.reason(), second.getString("reason"));

      JsonObject third = audit.get(2);
      assertEquals("symbols", third.getString("kind"));
      assertEquals(400, third.getInteger("status"));
      assertEquals("audited", third.getString("subject"));
      assertEquals(invalid.reason(), third.getString("reason"));

      // The line for people carries the same request id.
      assertTrue(logs.lines().stream().anyMatch(l -> l.contains(id + " 1.0.0 by audited: 201")
          && l.contains("[" + accepted.headers().get("X-Request-Id") + "]")), String.join("\n", logs.lines()));
      for (String line : logs.lines()) {
        assertFalse(line.contains(gw.key("audited")), line);
        assertFalse(line.contains("wrong-key-123"), line);
      }
    }
  }

  /** The gateway answers first and logs after, so the lines may trail the last answer by a moment. */
  private static List<JsonObject> auditLines(LogCapture logs, int expected) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    List<JsonObject> audit;
    do {
      audit = logs.lines().stream().filter(l -> l.startsWith("snupkg.audit - "))
          .map(l -> new JsonObject(l.substring("snupkg.audit - ".length()))).toList();
    } while (audit.size() < expected && System.nanoTime() < deadline && pause());
    assertEquals(expected, audit.size(), String.join("\n", logs.lines()));
    return audit;
  }

  private static boolean pause() {
    try {
      Thread.sleep(10);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
