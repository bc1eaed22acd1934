package io.snupkg.gateway.push;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.ModernClient;
import io.snupkg.gateway.testing.PortablePdb;
import io.snupkg.gateway.testing.RawHttp;
import io.snupkg.gateway.testing.TestPackages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code dotnet nuget push} (NuGet 6.8 to 7.x) replayed over a raw socket, as {@link ModernClient} writes it from
 * NuGet.Client's source: the request sent whole before the answer is read, and the push sequences the client makes
 * (reference: modern-client.md §5 and §12).
 */
@Timeout(120)
class ModernClientReplayTest {
  static final String PACKAGES = "/api/v2/package/";
  static final String SYMBOLS = "/api/v2/symbolpackage/";

  @TempDir
  static Path dir;
  static GatewayFixture gw;
  static Http http;
  static String key;

  @BeforeAll
  static void start() {
    gw = GatewayFixture.builder(dir).key("ci", "*").start();
    http = new Http(gw.vertx, gw.port());
    key = gw.key("ci");
  }

  @AfterAll
  static void stop() throws Exception {
    GatewayFixture.closeAll(http, gw);
  }

  static RawHttp.Head send(byte[] request) throws IOException {
    return ModernClient.exchange(gw.port(), request);
  }

  static Stream<Arguments> variants() {
    List<Arguments> all = new ArrayList<>();
    for (boolean hostFirst : new boolean[] {true, false}) {
      for (String agent : List.of(ModernClient.UA_6_8, ModernClient.UA_6_12, ModernClient.UA_7_0)) {
        for (boolean language : new boolean[] {true, false}) {
          all.add(Arguments.of(hostFirst, agent, language));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "Host first {0}, {1}, Accept-Language {2}")
  @MethodSource("variants")
  void theModernPutInEveryVariantIsStoredAndPublished(boolean hostFirst, String agent, boolean language)
      throws Exception {
    String id = "Modern.Replay";
    String version = "1." + (hostFirst ? 0 : 1) + "." + Math.abs((agent + language).hashCode() % 100000);
    // A new client per PUT: a new X-NuGet-Session-Id for the package and for the symbols, as the client sends.
    RawHttp.Head nupkg = send(client(hostFirst, agent, language).put(gw.port(), PACKAGES, key,
        TestPackages.nupkg(id, version)));
    assertEquals(201, nupkg.status(), nupkg.toString());
    RawHttp.Head snupkg = send(client(hostFirst, agent, language).put(gw.port(), SYMBOLS, key,
        TestPackages.snupkg(id, version)));
    assertEquals(201, snupkg.status(), snupkg.toString());
    assertEquals("available", gw.awaitSymbolState(http, id, version, "available").getString("state"));
  }

  private static ModernClient client(boolean hostFirst, String agent, boolean language) {
    ModernClient c = new ModernClient().userAgent(agent);
    if (!hostFirst) {
      c.hostLast();
    }
    if (!language) {
      c.noAcceptLanguage();
    }
    return c;
  }

  @Test
  void theBodyIsFramedAsTheReferenceShowsIt() {
    byte[] file = new byte[1234];
    byte[] put = new ModernClient().put(8080, SYMBOLS, "oy2example-api-key", file);
    String text = new String(put, StandardCharsets.ISO_8859_1);
    int bodyStart = text.indexOf("\r\n\r\n") + 4;
    assertEquals(1492, put.length - bodyStart, "the chunked body of a 1,234-byte snupkg (§5)");
    assertTrue(text.startsWith("PUT /api/v2/symbolpackage/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nTransfer-Encoding: "
        + "chunked\r\nX-NuGet-ApiKey: oy2example-api-key\r\nX-NuGet-Session-Id: "), text.substring(0, 200));
    assertTrue(text.substring(bodyStart).startsWith("28\r\n--"), "the boundary chunk");
    assertTrue(text.contains("\r\n90\r\nContent-Type: application/octet-stream\r\n"), "the part header chunk");
    assertTrue(text.contains("\r\n4D2\r\n"), "the file's chunk, uppercase hex");
    assertTrue(text.endsWith("\r\n2C\r\n\r\n--" + text.substring(text.indexOf("boundary=\"") + 10,
        text.indexOf("boundary=\"") + 46) + "--\r\n\r\n0\r\n\r\n"), "the closing chunks");
  }

  @Test
  void aLargeSnupkgInManyChunksIsStoredWhole() throws Exception {
    String id = "Modern.Large";
    Map<String, byte[]> entries = TestPackages.snupkgEntries(id, "1.0.0", TestPackages.pdbId(id, "1.0.0"));
    entries.put("lib/net45/" + id + ".pdb", PortablePdb.write(TestPackages.pdbId(id, "1.0.0"), 0, 3 << 20));
    byte[] snupkg = TestPackages.zip(entries, ZipEntry.STORED);
    assertEquals(201, send(new ModernClient().put(gw.port(), PACKAGES, key, TestPackages.nupkg(id, "1.0.0")))
        .status());
    RawHttp.Head head = send(new ModernClient().put(gw.port(), SYMBOLS, key, snupkg));
    assertEquals(201, head.status(), head.toString());
    gw.awaitSymbolState(http, id, "1.0.0", "available");
    Http.Reply stored = http.get(SYMBOLS + id + "/1.0.0");
    assertArrayEquals(snupkg, stored.bytes().getBytes(), "the " + (snupkg.length / ModernClient.COPY_BUFFER + 1)
        + "-chunk body arrived byte for byte");
  }

  @Test
  void aSkipDuplicatePushGetsItsConflictAndTheStoredPackageStays() throws Exception {
    String id = "Modern.Duplicate";
    byte[] first = TestPackages.nupkg(id, "1.0.0");
    assertEquals(201, send(new ModernClient().put(gw.port(), PACKAGES, key, first)).status());
    // --skip-duplicate: the client turns this 409 into "already exists" and, 6.2+, sends no symbol PUT after it.
    RawHttp.Head again = send(new ModernClient().put(gw.port(), PACKAGES, key, first));
    assertEquals(409, again.status());
    assertEquals("A package with ID '" + id + "' and version '1.0.0' already exists and cannot be modified.",
        again.reason());
    byte[] other = TestPackages.zip(TestPackages.nupkgEntries(id, "1.0.0"), ZipEntry.STORED);
    assertEquals(409, send(new ModernClient().put(gw.port(), PACKAGES, key, other)).status());
    String lower = id.toLowerCase(Locale.ROOT);
    assertArrayEquals(first, http.get("/v3/flatcontainer/" + lower + "/1.0.0/" + lower + ".1.0.0.nupkg").bytes()
        .getBytes(), "the first package stays");
  }

  @Test
  void pushStarSendsTheSnupkgTwiceAndTheSecondIsAcceptedToo() throws Exception {
    String id = "Modern.Star";
    byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
    assertEquals(201, send(new ModernClient().put(gw.port(), PACKAGES, key, TestPackages.nupkg(id, "1.0.0")))
        .status());
    assertEquals(201, send(new ModernClient().put(gw.port(), SYMBOLS, key, snupkg)).status(), "the automatic PUT");
    assertEquals(201, send(new ModernClient().put(gw.port(), SYMBOLS, key, snupkg)).status(), "the explicit one");
    gw.awaitSymbolState(http, id, "1.0.0", "available");
  }

  @Test
  void aLegacySymbolsNupkgSentToThePackageEndpointIsRefusedWithWhatToPushInstead() throws Exception {
    String id = "Modern.Legacy";
    byte[] nupkg = TestPackages.nupkg(id, "1.0.0");
    Map<String, byte[]> legacy = TestPackages.nupkgEntries(id, "1.0.0");
    legacy.put("lib/net45/" + id + ".pdb", PortablePdb.write(TestPackages.pdbId(id, "1.0.0"), 0, 0));
    legacy.put("src/" + id + "/Class1.cs", "namespace Modern.Legacy { class Class1 {} }".getBytes(
        StandardCharsets.UTF_8));
    byte[] symbolsNupkg = TestPackages.zip(legacy);
    String reason = "This is a legacy .symbols.nupkg (PDBs and a src/ folder), not a package: push the .snupkg "
        + "instead (dotnet pack -p:SymbolPackageFormat=snupkg)";
    // Alone (its package not pushed yet): refused, and it does not become the package.
    RawHttp.Head alone = send(new ModernClient().put(gw.port(), PACKAGES, key, symbolsNupkg));
    assertEquals(400, alone.status());
    assertEquals(reason, alone.reason());
    String lower = id.toLowerCase(Locale.ROOT);
    assertEquals(404, http.get("/v3/flatcontainer/" + lower + "/index.json").status(), "nothing stored");
    // After its package, as `push *.nupkg` sends them: the same refusal, not the 409 that hides what happened.
    assertEquals(201, send(new ModernClient().put(gw.port(), PACKAGES, key, nupkg)).status());
    RawHttp.Head after = send(new ModernClient().put(gw.port(), PACKAGES, key, symbolsNupkg));
    assertEquals(400, after.status());
    assertEquals(reason, after.reason());
    assertArrayEquals(nupkg, http.get("/v3/flatcontainer/" + lower + "/1.0.0/" + lower + ".1.0.0.nupkg").bytes()
        .getBytes(), "the package is the nupkg, once");
  }
}
