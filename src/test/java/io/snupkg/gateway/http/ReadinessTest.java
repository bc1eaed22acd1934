package io.snupkg.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.ProxyStand;
import io.snupkg.gateway.testing.TestAuthService;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code /health/ready} on the management port: up only while storage, the auth service and the feed can serve. */
@Timeout(60)
class ReadinessTest {

  private static JsonObject ready(GatewayFixture gw, int expectedStatus) throws Exception {
    try (Http management = new Http(gw.vertx, gw.gateway.managementPort())) {
      Http.Reply r = management.get("/health/ready");
      assertEquals(expectedStatus, r.status(), r.toString());
      return new JsonObject(r.body()).getJsonObject("checks");
    }
  }

  @Test
  void storageThatCannotBeWrittenIsNotReady(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = GatewayFixture.builder(dir).filesystem().key("ci", "*").start()) {
      assertEquals("UP", ready(gw, 200).getString("storage"));
      // Root ignores permissions, but no one can create a file in a folder that is a file: the probe writes in the
      // spool, as uploads do.
      Files.delete(dir.resolve("data/spool"));
      Files.writeString(dir.resolve("data/spool"), "not a folder");
      assertTrue(ready(gw, 503).getString("storage").startsWith("DOWN: storage "), "names the storage");
    }
  }

  @Test
  void inProxyModeAnOpenBreakerOrAnUnreachableFeedIsNotReady(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand();
        GatewayFixture gw = stand.gateway(dir).filesystem().yaml("auth", "breakerFailures: 1").yaml("auth", "breakerReset: 30s")
            .start();
        Http http = new Http(gw.vertx, gw.port())) {
      JsonObject up = ready(gw, 200);
      assertEquals(new JsonObject().put("storage", "UP").put("auth", "UP").put("feed", "UP"), up);

      stand.feed.down();
      assertTrue(ready(gw, 503).getString("feed").startsWith("DOWN: the feed at "), "names the feed");
      stand.feed.up();
      assertEquals("UP", ready(gw, 200).getString("feed"));

      stand.auth.mode(TestAuthService.Mode.ERROR_500);
      assertEquals(503, http.push("/api/v2/symbolpackage/", "k", TestPackages.snupkg("Ready.Pkg", "1.0.0")).status());
      assertEquals("DOWN: the auth service's circuit breaker is open", ready(gw, 503).getString("auth"));
    }
  }
}
