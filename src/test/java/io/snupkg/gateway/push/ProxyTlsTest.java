package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.TestAuthService;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.testing.TestV3Feed;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auth service and the feed over https with a private CA: trusted through {@code caFile}, the push goes
 * through; without it the TLS handshake fails and the push is 503, never let through.
 */
@Timeout(60)
class ProxyTlsTest {
  static final String KEY = "tls-key";

  Vertx vertx;
  TestAuthService auth;
  TestV3Feed feed;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    auth = TestAuthService.start(vertx).down().tls().up().key(KEY, "ci-bot", "*");
    feed = TestV3Feed.start(vertx).down().tls().up();
    feed.publishNow("Tls.Lib", "1.0.0", TestPackages.nupkg("Tls.Lib", "1.0.0"));
  }

  @AfterEach
  void stop() {
    feed.close();
    auth.close();
    vertx.close().await();
  }

  private GatewayFixture gateway(Path dir, boolean trust) {
    GatewayFixture.Builder b = GatewayFixture.builder(dir)
        .yaml("auth", "type: upstream").yaml("auth", "url: " + auth.url()).yaml("auth", "timeout: 2s")
        .yaml("feed", "type: upstream").yaml("feed", "url: " + feed.serviceIndexUrl());
    if (trust) {
      b.yaml("auth", "caFile: " + auth.certificatePath()).yaml("feed", "caFile: " + feed.certificatePath());
    }
    return b.start();
  }

  @Test
  void trustedThroughCaFileThePushGoesThrough(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = gateway(dir, true); Http http = new Http(gw.vertx, gw.port())) {
      Reply r = http.push(SymbolPushTest.SYMBOLS, KEY, TestPackages.snupkg("Tls.Lib", "1.0.0"));
      assertEquals(201, r.status(), r.toString());
    }
  }

  @Test
  void anUntrustedCertificateIs503NotAPass(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = gateway(dir, false); Http http = new Http(gw.vertx, gw.port())) {
      Reply r = http.push(SymbolPushTest.SYMBOLS, KEY, TestPackages.snupkg("Tls.Lib", "1.0.0"));
      assertEquals(503, r.status(), r.toString());
      assertEquals("The auth service is unavailable; retry later", r.reason());
      assertEquals(0, auth.calls(), "no request got through the failed handshake");
    }
  }
}
