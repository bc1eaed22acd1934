package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The push routes over HTTP against the real gateway: every status of the vocabulary, and what is stored. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class SymbolPushTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";
  static final String PACKAGES = "/api/v2/package/";

  GatewayFixture gw;
  Http http;

  @BeforeAll
  void start(@TempDir Path dir) {
    gw = GatewayFixture.builder(dir)
        .key("ci", "*")
        .key("contoso-ci", "Contoso.*")
        .key("other", "*")
        .expiredKey("old", "*")
        .start();
    http = new Http(gw.vertx, gw.port());
  }

  @AfterAll
  void stop() throws Exception {
    GatewayFixture.closeAll(http, gw);
  }

  private void pushPackage(String id, String version, String subject) {
    Reply r = http.push(PACKAGES, gw.key(subject), TestPackages.nupkg(id, version));
    assertEquals(201, r.status(), r.toString());
  }

  @Test
  void packageThenSymbolsAreCreatedAndStored() {
    pushPackage("Push.Basic", "1.0.0", "ci");
    Reply r = http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg("Push.Basic", "1.0.0"));
    assertEquals(201, r.status(), r.toString());
    assertTrue(gw.storedFiles().stream().anyMatch(p -> p.toString().endsWith(".snupkg")
        && p.toString().contains("symbols/push.basic/1.0.0/")), gw.storedFiles().toString());
    assertEquals(List.of(), gw.spoolFiles());
    Reply index = http.get("/v3/flatcontainer/push.basic/index.json");
    assertEquals(new JsonObject().put("versions", List.of("1.0.0")), new JsonObject(index.body()));
  }

  @Test
  void rawBodyAndPathWithoutSlashAreAccepted() {
    pushPackage("Push.Raw", "2.0.0", "ci");
    Reply r = http.pushRaw("/api/v2/symbolpackage", gw.key("ci"), TestPackages.snupkg("Push.Raw", "2.0.0"));
    assertEquals(201, r.status(), r.toString());
  }

  @Test
  void versionIsNormalizedAndIdCaseIgnoredForTheParentLookup() {
    pushPackage("Push.Norm", "1.2.0", "ci");
    Reply r = http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg("push.NORM", "1.02.0.0"));
    assertEquals(201, r.status(), r.toString());
  }

  @Test
  void identicalRePushIsCreatedAgainAndADifferentOneReplacesThePublishedOne() throws Exception {
    pushPackage("Push.Again", "1.0.0", "ci");
    byte[] snupkg = TestPackages.snupkg("Push.Again", "1.0.0");
    assertEquals(201, http.push(SYMBOLS, gw.key("ci"), snupkg).status());
    List<java.nio.file.Path> stored = gw.storedFiles();
    assertEquals(201, http.push(SYMBOLS, gw.key("ci"), snupkg).status());
    assertEquals(stored, gw.storedFiles(), "an identical re-push stores nothing new");
    gw.awaitSymbolState(http, "Push.Again", "1.0.0", "available");
    assertEquals(201, http.push(SYMBOLS, gw.key("ci"), snupkg).status(), "the published one again: a retry");

    // After publishing, another snupkg is accepted; it does not match the DLL, so it fails and the first stays.
    Reply other = http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg("Push.Again", "1.0.0", UUID.randomUUID()));
    assertEquals(201, other.status(), other.toString());
    JsonObject status = gw.awaitSymbolState(http, "Push.Again", "1.0.0", "available");
    assertEquals(1, status.getJsonArray("reasons").size(), status.encode());
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void symbolsWithoutTheirPackageAreNotFound() {
    Reply r = http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg("Push.Orphan", "3.1.0"));
    assertEquals(404, r.status());
    assertEquals("A package with ID 'Push.Orphan' and version '3.1.0' does not exist. "
        + "Please upload the package before uploading its symbols.", r.reason());
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void missingKeyIs401AndBadKeysAre403() {
    byte[] snupkg = TestPackages.snupkg("Push.Keys", "1.0.0");
    Reply none = http.push(SYMBOLS, null, snupkg);
    assertEquals(401, none.status());
    assertEquals(Rejection.NO_API_KEY, none.reason());
    for (String key : new String[] {"not-a-key", gw.key("old")}) {
      Reply r = http.push(SYMBOLS, key, snupkg);
      assertEquals(403, r.status(), r.toString());
      assertEquals(Rejection.FORBIDDEN, r.reason());
    }
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void keyOutOfScopeIs403() {
    Reply pkg = http.push(PACKAGES, gw.key("contoso-ci"), TestPackages.nupkg("Fabrikam.Lib", "1.0.0"));
    assertEquals(403, pkg.status(), pkg.toString());
    assertEquals(Rejection.FORBIDDEN, pkg.reason());
    pushPackage("Contoso.Lib", "1.0.0", "contoso-ci");
    assertEquals(201, http.push(SYMBOLS, gw.key("contoso-ci"), TestPackages.snupkg("Contoso.Lib", "1.0.0")).status());
  }

  @Test
  void anIdOwnedByAnotherSubjectIs403ForPackagesAndSymbols() {
    pushPackage("Push.Owned", "1.0.0", "ci");
    Reply pkg = http.push(PACKAGES, gw.key("other"), TestPackages.nupkg("Push.Owned", "2.0.0"));
    assertEquals(403, pkg.status(), pkg.toString());
    assertEquals(Rejection.FORBIDDEN, pkg.reason());
    Reply sym = http.push(SYMBOLS, gw.key("other"), TestPackages.snupkg("push.owned", "1.0.0"));
    assertEquals(403, sym.status(), sym.toString());
    assertEquals(Rejection.FORBIDDEN, sym.reason());
  }

  @Test
  void duplicatePackageVersionIs409() {
    pushPackage("Push.Dup", "1.0.0", "ci");
    Reply r = http.push(PACKAGES, gw.key("ci"), TestPackages.nupkg("Push.Dup", "1.0.0.0"));
    assertEquals(409, r.status());
    assertEquals("A package with ID 'Push.Dup' and version '1.0.0' already exists and cannot be modified.", r.reason());
  }

  @Test
  void invalidPackagesAre400WithAReasonAndLeaveNothing() {
    List<java.nio.file.Path> before = gw.storedFiles();
    Reply garbage = http.push(SYMBOLS, gw.key("ci"), "this is not a zip".getBytes());
    assertEquals(400, garbage.status());
    assertTrue(garbage.reason().startsWith("The symbol package is not a valid zip archive"), garbage.reason());

    java.util.Map<String, byte[]> entries =
        TestPackages.snupkgEntries("Push.NoPdb", "1.0.0", UUID.randomUUID());
    entries.remove("lib/net45/Push.NoPdb.pdb");
    Reply noPdb = http.push(SYMBOLS, gw.key("ci"), TestPackages.zip(entries));
    assertEquals(400, noPdb.status());
    assertEquals("The symbol package does not contain any symbol (.pdb) files", noPdb.reason());
    assertTrue(new JsonObject(noPdb.body()).getString("message").contains(".pdb"), noPdb.body());

    java.util.Map<String, byte[]> badId = TestPackages.snupkgEntries("Push.BadId", "1.0.0", UUID.randomUUID());
    badId.put("Push.BadId.nuspec", TestPackages.nuspec("Bad Id\r\nX-Injected: yes", "1.0.0", true));
    Reply injected = http.push(SYMBOLS, gw.key("ci"), TestPackages.zip(badId));
    assertEquals(400, injected.status());
    assertTrue(injected.reason().startsWith("Push.BadId.nuspec: 'Bad Id X-Injected: yes' is not a valid package id"),
        injected.reason());
    assertEquals(null, injected.headers().get("X-Injected"));

    assertEquals(before, gw.storedFiles());
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void serviceIndexAdvertisesTheThreeResources() {
    JsonObject index = new JsonObject(http.get("/v3/index.json").body());
    assertEquals("3.0.0", index.getString("version"));
    java.util.Map<String, String> byType = new java.util.HashMap<>();
    index.getJsonArray("resources").forEach(o -> byType.put(((JsonObject) o).getString("@type"),
        ((JsonObject) o).getString("@id")));
    assertEquals(gw.baseUrl() + "/api/v2/package", byType.get("PackagePublish/2.0.0"));
    assertEquals(gw.baseUrl() + "/api/v2/symbolpackage", byType.get("SymbolPackagePublish/4.9.0"));
    assertEquals(gw.baseUrl() + "/v3/flatcontainer/", byType.get("PackageBaseAddress/3.0.0"));
  }

  @Test
  void flatContainerServesTheNupkgAndAnswers404ForUnknownIds() {
    pushPackage("Push.Download", "1.0.0-Beta", "ci");
    Reply nupkg = http.get("/v3/flatcontainer/push.download/1.0.0-beta/push.download.1.0.0-beta.nupkg");
    assertEquals(200, nupkg.status());
    assertEquals(Buffer.buffer(TestPackages.nupkg("Push.Download", "1.0.0-Beta")), nupkg.bytes());
    assertEquals(404, http.get("/v3/flatcontainer/nobody.here/index.json").status());
    assertEquals(404, http.get("/v3/flatcontainer/push.download/9.9.9/push.download.9.9.9.nupkg").status());
  }
}
