package io.snupkg.gateway.symbols;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The status and download routes of a pushed symbol package, before it is published. */
@Timeout(60)
class SymbolPackageRoutesTest {

  @Test
  void aPendingPushHasItsStatusAndNoDownloadYet(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = GatewayFixture.builder(dir).key("ci", "*").start();
        Http http = new Http(gw.vertx, gw.port())) {
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), TestPackages.nupkg("Routes.Pkg", "1.2.0")).status());
      assertEquals(201, http.push("/api/v2/symbolpackage/", gw.key("ci"),
          TestPackages.snupkg("Routes.Pkg", "1.2.0")).status());

      Reply status = http.get("/api/v2/symbolpackage/routes.pkg/1.2.0.0/status");
      assertEquals(200, status.status());
      assertEquals(new JsonObject().put("id", "Routes.Pkg").put("version", "1.2.0").put("state", "pending")
          .put("reasons", List.of()), new JsonObject(status.body()));

      Reply snupkg = http.get("/api/v2/symbolpackage/Routes.Pkg/1.2.0");
      assertEquals(404, snupkg.status());
      assertEquals("The symbol package for Routes.Pkg 1.2.0 is not published (state: pending)", snupkg.reason());

      Reply unknown = http.get("/api/v2/symbolpackage/Other.Pkg/1.0.0/status");
      assertEquals(404, unknown.status());
      assertEquals("No symbol package for Other.Pkg 1.0.0 was pushed", unknown.reason());
      assertEquals(404, http.get("/api/v2/symbolpackage/Routes.Pkg/not-a-version").status());
    }
  }
}
