package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.TestPackages;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A validation that outlives {@code validation.timeout} answers 503 with Retry-After, so the client retries
 * instead of waiting forever, and nothing is stored. The timeout is set below what inflating a 16 MiB PDB takes.
 */
@Timeout(60)
class ValidationTimeoutTest {

  @Test
  void slowValidationIs503WithRetryAfterAndStoresNothing(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = GatewayFixture.builder(dir).key("ci", "*").yaml("validation", "timeout: 1ms").start();
        Http http = new Http(gw.vertx, gw.port())) {
      List<Path> before = gw.storedFiles();
      Reply r = http.push(SymbolPushTest.SYMBOLS, gw.key("ci"), TestPackages.bigSnupkg("Slow.Pkg", "1.0.0", 16 << 20));
      assertEquals(503, r.status(), r.toString());
      assertEquals("Validation of the package timed out; retry later", r.reason());
      assertNotNull(r.headers().get("Retry-After"));
      assertEquals(before, gw.storedFiles());
      assertEquals(List.of(), gw.spoolFiles());
    }
  }
}
