package io.snupkg.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.PortableExecutable;
import io.snupkg.gateway.testing.ProxyStand;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing end to end over HTTP: pending, then available with the PDB served by SSQP; a PDB from another build
 * fails while the earlier one stays served; 409 only while a push is pending (held there by a feed that does not
 * hand out the nupkg yet, not by a hook in the gateway); and pending work resumed after a restart.
 */
@Timeout(120)
class PublishTest {
  static final String SYMBOLS = "/api/v2/symbolpackage/";

  private static String ssqp(String id, UUID pdbId) {
    String file = id.toLowerCase(Locale.ROOT) + ".pdb";
    return "/download/symbols/" + file + "/" + pdbId.toString().replace("-", "") + "FFFFFFFF/" + file;
  }

  /** The PDB bytes inside snupkg(id, version, guid): what a debugger must receive. */
  private static byte[] pdb(String id, String version, UUID guid) {
    return TestPackages.snupkgEntries(id, version, guid).get("lib/net45/" + id + ".pdb");
  }

  @Test
  void aPublishedPdbIsServedBySsqpAndAPdbFromAnotherBuildFailsWhileTheFirstStaysServed(@TempDir Path dir)
      throws Exception {
    try (GatewayFixture gw = GatewayFixture.builder(dir).key("ci", "*").start();
        Http http = new Http(gw.vertx, gw.port())) {
      String id = "Pub.Lib";
      UUID build = TestPackages.pdbId(id, "1.0.0");
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), TestPackages.nupkg(id, "1.0.0")).status());
      byte[] snupkg = TestPackages.snupkg(id, "1.0.0");
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), snupkg).status());
      gw.awaitSymbolState(http, id, "1.0.0", "available");

      Reply served = http.get(ssqp(id, build));
      assertEquals(200, served.status(), served.toString());
      assertArrayEquals(pdb(id, "1.0.0", build), served.bytes().getBytes());
      String upper = "/download/symbols/" + (ssqp(id, build).substring("/download/symbols/".length())
          .toUpperCase(Locale.ROOT));
      assertEquals(200, http.get(upper).status(), "keys and file names are case-insensitive: " + upper);
      Reply download = http.get("/api/v2/symbolpackage/pub.lib/1.0.0");
      assertEquals(200, download.status(), download.toString());
      assertArrayEquals(snupkg, download.bytes().getBytes());

      UUID otherBuild = UUID.randomUUID();
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg(id, "1.0.0", otherBuild)).status());
      JsonObject status = gw.awaitSettled(http, id, "1.0.0");
      assertEquals("available", status.getString("state"), "the earlier push stays: " + status.encode());
      String reason = status.getJsonArray("reasons").getString(0);
      assertTrue(reason.startsWith("lib/net45/Pub.Lib.pdb: does not match lib/net45/Pub.Lib.dll (the DLL expects "
          + "PDB id " + build.toString().replace("-", "")), reason);
      assertEquals(200, http.get(ssqp(id, build)).status(), "still served");
      assertEquals(404, http.get(ssqp(id, otherBuild)).status(), "never indexed");
      assertArrayEquals(snupkg, http.get("/api/v2/symbolpackage/Pub.Lib/1.0.0").bytes().getBytes());
    }
  }

  @Test
  void withRequireChecksumOnlyTheDllsChecksumGetsThePdb(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = GatewayFixture.builder(dir).key("ci", "*").yaml("symbols", "requireChecksum: true")
        .start(); Http http = new Http(gw.vertx, gw.port())) {
      String id = "Pub.Checked";
      UUID build = TestPackages.pdbId(id, "1.0.0");
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), TestPackages.nupkg(id, "1.0.0")).status());
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg(id, "1.0.0")).status());
      gw.awaitSymbolState(http, id, "1.0.0", "available");

      Reply without = http.get(ssqp(id, build));
      assertEquals(403, without.status());
      assertEquals("This symbol server requires the SymbolChecksum header that debuggers send for DLLs with a "
          + "PdbChecksum entry", without.reason());
      // What a debugger computes from the DLL's PdbChecksum entry: the PDB's SHA-256 with its 20 id bytes zeroed.
      byte[] pdb = pdb(id, "1.0.0", build);
      long idOffset = io.snupkg.gateway.validation.PortablePdbReader.read(new java.io.ByteArrayInputStream(pdb),
          "x.pdb", pdb.length).idOffset();
      byte[] zeroed = pdb.clone();
      java.util.Arrays.fill(zeroed, (int) idOffset, (int) idOffset + 20, (byte) 0);
      String sha256 = java.util.HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(zeroed));
      Reply with = http.get(ssqp(id, build), java.util.Map.of("SymbolChecksum", "SHA256:" + sha256));
      assertEquals(200, with.status(), with.toString());
      assertArrayEquals(pdb, with.bytes().getBytes());
      Reply wrong = http.get(ssqp(id, build), java.util.Map.of("SymbolChecksum", "SHA256:" + "00".repeat(32)));
      assertEquals(404, wrong.status());
    }
  }

  /** A nupkg whose DLL names the PDB of snupkg(id, version) and carries these PdbChecksum entries. */
  private static byte[] nupkgWithChecksums(String id, String version, PortableExecutable.Entry... checksums) {
    java.util.List<PortableExecutable.Entry> entries = new java.util.ArrayList<>();
    entries.add(PortableExecutable.portableCodeView(TestPackages.pdbId(id, version), 0, id + ".pdb"));
    entries.addAll(java.util.List.of(checksums));
    java.util.Map<String, byte[]> nupkg = TestPackages.nupkgEntries(id, version);
    nupkg.put("lib/net45/" + id + ".dll", PortableExecutable.write(false, entries));
    return TestPackages.zip(nupkg);
  }

  private static byte[] sha256WithIdZeroed(byte[] pdb) throws Exception {
    long idOffset = io.snupkg.gateway.validation.PortablePdbReader.read(new java.io.ByteArrayInputStream(pdb),
        "x.pdb", pdb.length).idOffset();
    byte[] zeroed = pdb.clone();
    java.util.Arrays.fill(zeroed, (int) idOffset, (int) idOffset + 20, (byte) 0);
    return java.security.MessageDigest.getInstance("SHA-256").digest(zeroed);
  }

  @Test
  void aDllsPdbChecksumMustMatchAndCanBeRequired(@TempDir Path dir) throws Exception {
    try (GatewayFixture gw = GatewayFixture.builder(dir).key("ci", "*").yaml("symbols", "requirePdbChecksum: true")
        .start(); Http http = new Http(gw.vertx, gw.port())) {
      String good = "Sum.Good";
      byte[] goodHash = sha256WithIdZeroed(pdb(good, "1.0.0", TestPackages.pdbId(good, "1.0.0")));
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), nupkgWithChecksums(good, "1.0.0",
          PortableExecutable.pdbChecksum("SHA256", goodHash))).status());
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg(good, "1.0.0")).status());
      assertEquals("available", gw.awaitSettled(http, good, "1.0.0").getString("state"));

      String wrong = "Sum.Wrong";
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), nupkgWithChecksums(wrong, "1.0.0",
          PortableExecutable.pdbChecksum("SHA256", new byte[32]))).status());
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg(wrong, "1.0.0")).status());
      JsonObject failed = gw.awaitSettled(http, wrong, "1.0.0");
      assertEquals(new JsonObject().put("id", wrong).put("version", "1.0.0").put("state", "failed").put("reasons",
          java.util.List.of("lib/net45/Sum.Wrong.pdb: its checksum does not match the PdbChecksum of "
              + "lib/net45/Sum.Wrong.dll")), failed);

      String none = "Sum.None"; // TestPackages' DLLs have no PdbChecksum entry
      assertEquals(201, http.push("/api/v2/package/", gw.key("ci"), TestPackages.nupkg(none, "1.0.0")).status());
      assertEquals(201, http.push(SYMBOLS, gw.key("ci"), TestPackages.snupkg(none, "1.0.0")).status());
      assertEquals(java.util.List.of("lib/net45/Sum.None.dll: has no PdbChecksum entry (build with a compiler from "
          + "Visual Studio 15.9 or later)"), gw.awaitSettled(http, none, "1.0.0").getJsonArray("reasons").getList());
    }
  }

  @Test
  void aPushThatCannotBePublishedBeforeTheDeadlineFails(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      String id = "Pub.Late";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "1.0.0", TestPackages.nupkg(id, "1.0.0"));
      stand.feed.holdDownloads(true);
      try (GatewayFixture gw = stand.gateway(dir).yaml("feed", "timeout: 1s")
          .yaml("symbols", "publishDeadline: 2s").start(); Http http = new Http(gw.vertx, gw.port())) {
        assertEquals(201, http.push(SYMBOLS, "k", TestPackages.snupkg(id, "1.0.0")).status());
        JsonObject status = gw.awaitSettled(http, id, "1.0.0");
        assertEquals("failed", status.getString("state"));
        assertEquals("The symbol package was not published within 2 seconds of its push (the package's DLLs "
            + "could not be fetched from the feed)", status.getJsonArray("reasons").getString(0));
      } finally {
        stand.feed.holdDownloads(false);
      }
    }
  }

  @Test
  void conflictOnlyWhilePendingAndPendingWorkResumesAfterARestart(@TempDir Path dir) throws Exception {
    try (ProxyStand stand = new ProxyStand()) {
      String id = "Pub.Held";
      stand.auth.key("k", "ci", "*");
      stand.feed.publishNow(id, "2.0.0", TestPackages.nupkg(id, "2.0.0"));
      stand.feed.holdDownloads(true); // the parent is listed, but its nupkg does not come: publishing waits
      byte[] snupkg = TestPackages.snupkg(id, "2.0.0");
      try (GatewayFixture gw = stand.gateway(dir).start(); Http http = new Http(gw.vertx, gw.port())) {
        assertEquals(201, http.push(SYMBOLS, "k", snupkg).status());
        assertEquals("pending", new JsonObject(http.get(SYMBOLS + id + "/2.0.0/status").body()).getString("state"));
        Reply conflict = http.push(SYMBOLS, "k", TestPackages.snupkg(id, "2.0.0", UUID.randomUUID()));
        assertEquals(409, conflict.status(), conflict.toString());
        assertEquals("A different symbol package for Pub.Held 2.0.0 is still pending validation; wait for it to "
            + "finish before replacing it", conflict.reason());
        assertEquals(201, http.push(SYMBOLS, "k", snupkg).status(), "the same bytes again: a retry");
      }
      // The gateway stops with the push pending; the next one, on the same storage, finishes it.
      stand.feed.holdDownloads(false);
      try (GatewayFixture gw = stand.gateway(dir).start(); Http http = new Http(gw.vertx, gw.port())) {
        gw.awaitSymbolState(http, id, "2.0.0", "available");
        assertEquals(200, http.get(ssqp(id, TestPackages.pdbId(id, "2.0.0"))).status());
        Reply replacement = http.push(SYMBOLS, "k", TestPackages.snupkg(id, "2.0.0", UUID.randomUUID()));
        assertEquals(201, replacement.status(), "after publishing, a new push is accepted: " + replacement);
      }
    }
  }
}
