package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.ProxyStand;
import io.snupkg.gateway.testing.TestPackages;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the proxy-mode tests share: the stand-ins of {@link ProxyStand}, healed after every test, and a gateway in
 * front of them for the whole class; tests that need other settings start gateways of their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
abstract class ProxyModeTestBase {
  static final String SYMBOLS = "/api/v2/symbolpackage/";
  static final String PACKAGES = "/api/v2/package/";

  /** The ways an upstream service can be unusable: refusing connections, never answering, answering 500. */
  enum Outage { DOWN, HANG, ERROR_500 }

  Path dir;
  ProxyStand stand;
  GatewayFixture gw;
  Http http;

  /** The class's gateway: {@link #gateway} with the class's settings. */
  abstract GatewayFixture.Builder mainGateway();

  @BeforeAll
  void start(@TempDir Path dir) {
    this.dir = dir;
    stand = new ProxyStand();
    gw = mainGateway().start();
    http = client(gw);
  }

  @AfterEach
  void heal() {
    stand.heal();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      GatewayFixture.closeAll(http, gw);
    } finally {
      stand.close();
    }
  }

  /** A gateway in front of the stand-ins, with its own storage. */
  GatewayFixture.Builder gateway(String name) {
    return stand.gateway(dir.resolve(name));
  }

  /** A client for {@code g} that can have many pushes in flight. */
  Http client(GatewayFixture g) {
    return new Http(stand.vertx, g.port(), 64);
  }

  /** The snupkg of {@code id} 1.0.0, whose parent is in the feed. */
  byte[] published(String id) {
    stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
    return TestPackages.snupkg(id, "1.0.0");
  }

  static void assertReply(int status, String reason, Reply r) {
    assertEquals(status, r.status(), r.toString());
    assertEquals(reason, r.reason());
  }

  /** A 503 with the reason and {@code Retry-After} in seconds. */
  static void assertUnavailable(String reason, String retryAfter, Reply r) {
    assertReply(503, reason, r);
    assertEquals(retryAfter, r.headers().get("Retry-After"), r.headers().toString());
  }

  static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
