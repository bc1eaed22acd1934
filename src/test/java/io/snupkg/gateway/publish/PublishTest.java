package io.snupkg.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
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
      assertArrayEquals(snupkg, http.get("/api/v2/symbolpackage/pub.lib/1.0.0").bytes().getBytes());

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
