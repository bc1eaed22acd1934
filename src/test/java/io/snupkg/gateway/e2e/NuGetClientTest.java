package io.snupkg.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.NuGetExe;
import io.snupkg.gateway.testing.TestAuthService;
import io.snupkg.gateway.testing.TestPackages;
import io.snupkg.gateway.testing.TestPackages.Pair;
import io.snupkg.gateway.testing.TestV3Feed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real client against the real gateway: what {@code nuget push} prints is what users see. Success is judged
 * by the printed lines and the stored files, not the exit code alone: mono 6.8 occasionally crashes after a
 * fully successful push (exit 134 or 255, about 1 run in 100).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class NuGetClientTest {
  static final String FAILED = "Response status code does not indicate success: ";

  Path dir;
  GatewayFixture gw;
  GatewayFixture small;
  NuGetExe nuget;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    this.dir = dir;
    nuget = new NuGetExe(Files.createDirectories(dir.resolve("client")));
    gw = GatewayFixture.builder(dir.resolve("gw"))
        .key("ci", "*")
        .key("contoso-ci", "Contoso.*")
        .key("other", "*")
        .expiredKey("old", "*")
        .start();
    small = GatewayFixture.builder(dir.resolve("small"))
        .key("ci", "*")
        .yaml("limits", "maxSymbolPackageSize: 1MiB")
        .start();
  }

  @AfterAll
  void stop() throws Exception {
    for (GatewayFixture f : new GatewayFixture[] {gw, small}) {
      if (f != null) {
        f.close();
      }
    }
  }

  private Pair packages(String id, String version) {
    return TestPackages.write(dir.resolve("pkgs").resolve(id), id, version);
  }

  @Test
  void pushesThePackageAndItsSymbols() throws Exception {
    Pair pair = packages("E2e.Sample", "1.0.0");
    NuGetExe.Run run = nuget.push(pair.nupkg(), gw.serviceIndex(), gw.key("ci"));
    assertTrue(run.printed("Created " + gw.baseUrl() + "/api/v2/package/"), run.output());
    assertTrue(run.printed("Created " + gw.baseUrl() + "/api/v2/symbolpackage/"), run.output());
    assertEquals(2, run.output().split("Your package was pushed.", -1).length - 1, run.output());
    assertTrue(gw.storedFiles().stream().anyMatch(p -> p.toString().contains("symbols/e2e.sample/1.0.0/")));
    assertTrue(gw.storedFiles().stream().anyMatch(p -> p.toString().endsWith("feed/e2e.sample/1.0.0/e2e.sample.1.0.0.nupkg")));
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void noKeyPrints401() throws Exception {
    NuGetExe.Run run = nuget.push(packages("E2e.NoKey", "1.0.0").snupkg(), gw.serviceIndex(), null);
    assertTrue(run.printed(FAILED + "401 (" + Rejection.NO_API_KEY + ")."), run.output());
    assertNotEquals(0, run.exit());
  }

  @Test
  void unknownExpiredOutOfScopeAndOwnedElsewherePrint403() throws Exception {
    String forbidden = FAILED + "403 (" + Rejection.FORBIDDEN + ").";
    Pair pair = packages("E2e.Keys", "1.0.0");
    for (String key : new String[] {"wrong-key", gw.key("old")}) {
      NuGetExe.Run run = nuget.push(pair.nupkg(), gw.serviceIndex(), key);
      assertTrue(run.printed(forbidden), run.output());
      assertNotEquals(0, run.exit());
    }
    NuGetExe.Run scope = nuget.push(packages("Fabrikam.E2e", "1.0.0").nupkg(), gw.serviceIndex(), gw.key("contoso-ci"));
    assertTrue(scope.printed(forbidden), scope.output());

    Pair owned = packages("E2e.Owned", "1.0.0");
    assertTrue(nuget.push(owned.nupkg(), gw.serviceIndex(), gw.key("ci")).printed("Your package was pushed."));
    NuGetExe.Run other = nuget.push(owned.snupkg(), gw.serviceIndex(), gw.key("other"));
    assertTrue(other.printed(forbidden), other.output());
    assertNotEquals(0, other.exit());
  }

  @Test
  void symbolsBeforeTheirPackagePrint404() throws Exception {
    NuGetExe.Run run = nuget.push(packages("E2e.Orphan", "2.0.0").snupkg(), gw.serviceIndex(), gw.key("ci"));
    assertTrue(run.printed(FAILED + "404 (A package with ID 'E2e.Orphan' and version '2.0.0' does not exist. "
        + "Please upload the package before uploading its symbols.)."), run.output());
    assertNotEquals(0, run.exit());
  }

  @Test
  void inProxyModeThePackageReachesTheUpstreamFeedByteForByteAndTheSymbolsAreCreated() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try (TestAuthService auth = TestAuthService.start(vertx).key("upstream-key", "ci-bot", "E2e.*");
        TestV3Feed feed = TestV3Feed.start(vertx).acceptKey("upstream-key");
        GatewayFixture proxy = GatewayFixture.builder(dir.resolve("proxy"))
            .yaml("auth", "type: upstream").yaml("auth", "url: " + auth.url())
            .yaml("feed", "type: upstream").yaml("feed", "url: " + feed.serviceIndexUrl())
            .start()) {
      Pair pair = packages("E2e.Proxied", "1.0.0");
      NuGetExe.Run run = nuget.push(pair.nupkg(), proxy.serviceIndex(), "upstream-key");
      assertTrue(run.printed("Created " + proxy.baseUrl() + "/api/v2/package/"), run.output());
      assertTrue(run.printed("Created " + proxy.baseUrl() + "/api/v2/symbolpackage/"), run.output());
      assertArrayEquals(Files.readAllBytes(pair.nupkg()), feed.received("E2e.Proxied", "1.0.0"));
      assertEquals(List.of(), proxy.spoolFiles());

      NuGetExe.Run outOfScope = nuget.push(packages("Fabrikam.Proxied", "1.0.0").snupkg(), proxy.serviceIndex(),
          "upstream-key");
      assertTrue(outOfScope.printed(FAILED + "403 (" + Rejection.FORBIDDEN + ")."), outOfScope.output());
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void invalidSymbolsPrint400WithTheReason() throws Exception {
    Pair pair = packages("E2e.Invalid", "1.0.0");
    Files.write(pair.snupkg(), "definitely not a zip".getBytes());
    NuGetExe.Run run = nuget.push(pair.nupkg(), gw.serviceIndex(), gw.key("ci"));
    assertTrue(run.printed("Created " + gw.baseUrl() + "/api/v2/package/"), run.output());
    assertTrue(run.printed(FAILED + "400 (The symbol package is not a valid zip archive"), run.output());
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void aWindowsPdbAndADllInTheSymbolsPrintTheEntryAndTheRule() throws Exception {
    Pair pair = packages("E2e.Rules", "1.0.0");
    assertTrue(nuget.push(pair.nupkg(), gw.serviceIndex(), gw.key("ci")).printed("Created "));
    java.util.Map<String, byte[]> entries = TestPackages.snupkgEntries("E2e.Rules", "1.0.0", java.util.UUID.randomUUID());
    entries.put("lib/net45/E2e.Rules.pdb", "Microsoft C/C++ MSF 7.00\r\n\u001aDS\0\0\0".getBytes(
        java.nio.charset.StandardCharsets.ISO_8859_1));
    Files.write(pair.snupkg(), TestPackages.zip(entries));
    NuGetExe.Run windows = nuget.push(pair.snupkg(), gw.serviceIndex(), gw.key("ci"));
    assertTrue(windows.printed(FAILED + "400 (lib/net45/E2e.Rules.pdb: is a Windows PDB; symbol packages must contain "
        + "portable PDBs (build with <DebugType>portable</DebugType>))."), windows.output());

    entries = TestPackages.snupkgEntries("E2e.Rules", "1.0.0", java.util.UUID.randomUUID());
    entries.put("lib/net45/E2e.Rules.dll", new byte[] {'M', 'Z'});
    Files.write(pair.snupkg(), TestPackages.zip(entries));
    NuGetExe.Run dll = nuget.push(pair.snupkg(), gw.serviceIndex(), gw.key("ci"));
    assertTrue(dll.printed(FAILED + "400 (lib/net45/E2e.Rules.dll: files with the extension '.dll' are not allowed "
        + "in a symbol package (allowed: .pdb .nuspec .xml .psmdcp .rels .p7s))."), dll.output());
    assertEquals(List.of(), gw.spoolFiles());
  }

  @Test
  void symbolsOverTheLimitPrint413NotASocketError() throws Exception {
    Path big = dir.resolve("pkgs/big/E2e.Big.1.0.0.snupkg");
    Files.createDirectories(big.getParent());
    Files.write(big, TestPackages.bigSnupkg("E2e.Big", "1.0.0", 3 << 20));
    NuGetExe.Run run = nuget.push(big, small.serviceIndex(), small.key("ci"));
    assertTrue(run.printed(FAILED + "413 (The symbol package exceeds the size limit of 1 MiB.)."), run.output());
    assertTrue(!run.printed("socket") && !run.printed("Connection reset"), run.output());
    assertEquals(List.of(), small.spoolFiles());
  }
}
