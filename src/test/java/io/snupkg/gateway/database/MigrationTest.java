package io.snupkg.gateway.database;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.Main;
import io.snupkg.gateway.config.ConfigLoader;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.Http.Reply;
import io.snupkg.gateway.testing.SharedStores;
import io.snupkg.gateway.testing.TestPackages;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate --to}: a store filled by the real gateway on the filesystem is copied into a real bucket (S3Proxy)
 * and a real PostgreSQL, then served by a gateway on them exactly as before; a second run copies nothing.
 */
@Timeout(300)
class MigrationTest {
  static final String PACKAGES = "/api/v2/package/";
  static final String SYMBOLS = "/api/v2/symbolpackage/";

  /** An id and version as pushed; the flat container and the store use the lowercase. */
  record Pkg(String id, String version) {
    String lowerId() {
      return id.toLowerCase(Locale.ROOT);
    }

    String lowerVersion() {
      return version.toLowerCase(Locale.ROOT);
    }

    String nupkgPath() {
      return "/v3/flatcontainer/" + lowerId() + "/" + lowerVersion() + "/" + lowerId() + "." + lowerVersion()
          + ".nupkg";
    }
  }

  @Test
  void aFilesystemStoreMovesToTheSharedBackendAndIsServedTheSame(@TempDir Path dir) throws Exception {
    Path old = dir.resolve("old");
    Path data = old.resolve("data");
    List<Pkg> published = List.of(new Pkg("Mig.Alpha", "1.0.0"), new Pkg("Mig.Beta", "2.1.0"),
        new Pkg("Mig.Gamma", "2.0.0-Beta"));
    Pkg pending = new Pkg("Mig.Pending", "3.0.0");
    List<Pkg> all = Stream.concat(published.stream(), Stream.of(pending)).toList();
    Map<Pkg, JsonObject> statuses = new LinkedHashMap<>();
    Map<Pkg, byte[]> snupkgs = new LinkedHashMap<>();
    String ciKey;
    String otherKey;

    // 1. The old store, filled through the gateway on the filesystem with the local feed.
    GatewayFixture fs = GatewayFixture.builder(old).filesystem().key("ci", "*").key("other", "*").start();
    try (Http http = new Http(fs.vertx, fs.port())) {
      ciKey = fs.key("ci");
      otherKey = fs.key("other");
      for (Pkg p : all) {
        Reply r = http.push(PACKAGES, ciKey, TestPackages.nupkg(p.id(), p.version()));
        assertEquals(201, r.status(), r.toString());
      }
      for (Pkg p : published) {
        byte[] snupkg = TestPackages.snupkg(p.id(), p.version());
        Reply r = http.push(SYMBOLS, ciKey, snupkg);
        assertEquals(201, r.status(), r.toString());
        fs.awaitSymbolState(http, p.id(), p.version(), "available");
        snupkgs.put(p, snupkg);
      }
      // A second snupkg whose PDB matches no DLL: it fails, the first stays available, with the failure's reason.
      Pkg beta = published.get(1);
      Reply r = http.push(SYMBOLS, ciKey, TestPackages.snupkg(beta.id(), beta.version(), java.util.UUID.randomUUID()));
      assertEquals(201, r.status(), r.toString());
      JsonObject betaStatus = fs.awaitSettled(http, beta.id(), beta.version());
      assertEquals("available", betaStatus.getString("state"));
      assertEquals(1, betaStatus.getJsonArray("reasons").size(), betaStatus.encode());
      for (Pkg p : published) {
        statuses.put(p, new JsonObject(http.get(SYMBOLS + p.id() + "/" + p.version() + "/status").body()));
        assertArrayEquals(snupkgs.get(p), http.get(SYMBOLS + p.id() + "/" + p.version()).bytes().getBytes());
      }
    } finally {
      fs.close();
    }
    // A push held pending: what a gateway stopped before publishing leaves (its record says pending).
    byte[] pendingSnupkg = TestPackages.snupkg(pending.id(), pending.version());
    String sha = sha512(pendingSnupkg);
    Path pendingFolder = data.resolve("symbols/mig.pending/3.0.0");
    Files.createDirectories(pendingFolder);
    Files.write(pendingFolder.resolve(sha + ".snupkg"), pendingSnupkg);
    SymbolPackageRecord pendingRecord = SymbolPackageRecord.empty(pending.id(), pending.version())
        .withPending(new SymbolPackageRecord.Upload(sha, pendingSnupkg.length, "ci", Instant.now()));
    Files.writeString(pendingFolder.resolve("record.json"), pendingRecord.toJson().encode());
    snupkgs.put(pending, pendingSnupkg);
    // A snupkg that no record names (a push that died between its file and its record): not copied.
    String leftover = "ab".repeat(64) + ".snupkg";
    Files.write(data.resolve("symbols/mig.alpha/1.0.0").resolve(leftover), new byte[] {1, 2, 3});
    List<Path> oldFiles = files(data);
    Map<Path, byte[]> oldBytes = new LinkedHashMap<>();
    for (Path f : oldFiles) {
      oldBytes.put(f, Files.readAllBytes(f));
    }
    List<Path> pdbs = files(data.resolve("ssqp"));
    assertEquals(published.size(), pdbs.size(), "one PDB per published push: " + pdbs);

    // 2. The migration, as users run it: Main in a process of its own.
    SharedStores stores = SharedStores.fresh();
    Path target = writeYaml(dir.resolve("target.yaml"), targetSections(stores, dir.resolve("spool")));
    Path from = writeYaml(dir.resolve("old.yaml"), Map.of("storage", List.of("path: '" + data + "'")));
    Command first = migrate(dir, "migrate", "--to", target.toString(), "--from", from.toString());
    assertEquals(0, first.exit(), first.output());
    String text = first.output();
    assertTrue(text.lines().anyMatch(l -> l.startsWith("Progress: ")), text);
    assertTrue(text.contains("Summary:"), text);
    assertTrue(text.contains("owners   copied 4, already there 0, skipped 0"), text);
    assertTrue(text.contains("nupkgs   copied 4, already there 0, skipped 0"), text);
    assertTrue(text.contains("snupkgs  copied 4, already there 0, skipped 1 (1 left over: their record does not name them)"), text);
    assertTrue(text.contains("records  copied 4, already there 0, skipped 0; 1 pending queued for publishing"), text);
    assertTrue(text.contains("pdbs     copied 3, already there 0, skipped 0"), text);
    assertEquals(1, Integer.parseInt(stores.postgres.psql(stores.database, "SELECT count(*) FROM publish_job")));
    assertFalse(stores.server.keys(stores.bucket).stream().anyMatch(k -> k.endsWith(leftover)));
    assertEquals(oldFiles, files(data), "the old store is only read");
    for (Path f : oldFiles) {
      assertArrayEquals(oldBytes.get(f), Files.readAllBytes(f), f.toString());
    }

    // 3. A gateway on the bucket and the database, with the same keys, serves what the old one served.
    Path keyFile = old.resolve("api-keys.yaml");
    GatewayFixture shared = GatewayFixture.builder(dir.resolve("new")).shared(stores)
        .yaml("auth", "file: " + keyFile).start();
    try (Http http = new Http(shared.vertx, shared.port())) {
      for (Pkg p : all) {
        Reply nupkg = http.get(p.nupkgPath());
        assertEquals(200, nupkg.status(), p + ": " + nupkg);
        byte[] stored = oldBytes.get(data.resolve("feed")
            .resolve(p.nupkgPath().substring("/v3/flatcontainer/".length())));
        assertArrayEquals(TestPackages.nupkg(p.id(), p.version()), stored, p.toString());
        assertArrayEquals(stored, nupkg.bytes().getBytes(), p.toString());
        JsonObject index = new JsonObject(http.get("/v3/flatcontainer/" + p.lowerId() + "/index.json").body());
        assertEquals(List.of(p.lowerVersion()), index.getJsonArray("versions").getList(), p.toString());
      }
      for (Pkg p : published) {
        assertEquals(statuses.get(p), new JsonObject(http.get(SYMBOLS + p.id() + "/" + p.version() + "/status")
            .body()), p.toString());
        assertArrayEquals(snupkgs.get(p), http.get(SYMBOLS + p.id() + "/" + p.version()).bytes().getBytes());
      }
      for (Path pdb : pdbs) {
        String path = "/download/symbols/" + data.resolve("ssqp").relativize(pdb).toString().replace('\\', '/');
        Reply r = http.get(path);
        assertEquals(200, r.status(), path + ": " + r);
        assertArrayEquals(Files.readAllBytes(pdb), r.bytes().getBytes(), path);
      }
      // The owners came along: another subject may not push a migrated id; its owner may.
      Pkg alpha = published.get(0);
      Reply refused = http.push(PACKAGES, otherKey, TestPackages.nupkg(alpha.id(), "9.0.0"));
      assertEquals(403, refused.status(), refused.toString());
      Reply owner = http.push(PACKAGES, ciKey, TestPackages.nupkg(alpha.id(), "9.0.0"));
      assertEquals(201, owner.status(), owner.toString());
      Reply again = http.push(PACKAGES, ciKey, TestPackages.nupkg(alpha.id(), alpha.version()));
      assertEquals(409, again.status(), "a migrated version exists: " + again);
      // The pending push is published by the new fleet.
      JsonObject status = shared.awaitSymbolState(http, pending.id(), pending.version(), "available");
      assertEquals(List.of(), status.getJsonArray("reasons").getList());
      assertArrayEquals(pendingSnupkg, http.get(SYMBOLS + pending.id() + "/" + pending.version()).bytes().getBytes());
      String pdb = "mig.pending.pdb";
      String key = TestPackages.pdbId(pending.id(), pending.version()).toString().replace("-", "") + "ffffffff";
      assertEquals(200, http.get("/download/symbols/" + pdb + "/" + key + "/" + pdb).status());
    } finally {
      shared.close();
    }

    // 4. Again: everything is there already; not one object or row changes.
    List<String> keys = stores.server.keys(stores.bucket);
    String rows = rows(stores);
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    GatewayConfig config = ConfigLoader.load(target, true, Map.of());
    Migration.Summary summary = Migration.run(data, config, new PrintStream(second, true, StandardCharsets.UTF_8));
    String secondText = second.toString(StandardCharsets.UTF_8);
    assertEquals(0, summary.copied(), secondText);
    assertEquals(0, summary.bytesUploaded(), secondText);
    assertEquals(0, summary.queued(), secondText);
    assertEquals(4, summary.tally(Migration.Kind.OWNERS).alreadyThere(), secondText);
    assertEquals(4, summary.tally(Migration.Kind.NUPKGS).alreadyThere(), secondText);
    assertEquals(4, summary.tally(Migration.Kind.SNUPKGS).alreadyThere(), secondText);
    assertEquals(4, summary.tally(Migration.Kind.RECORDS).alreadyThere(), secondText);
    assertEquals(3, summary.tally(Migration.Kind.PDBS).alreadyThere(), secondText);
    assertTrue(secondText.contains("records  copied 0, already there 4, skipped 0"), secondText);
    assertTrue(secondText.contains("Done in "), secondText);
    assertEquals(keys, stores.server.keys(stores.bucket));
    assertEquals(rows, rows(stores));

    // 5. A run that stopped after the blobs and before their rows: the next one writes the rows, uploads nothing.
    stores.postgres.psql(stores.database, "DELETE FROM feed_package WHERE package_id = 'mig.gamma'; "
        + "DELETE FROM package_owner WHERE package_id = 'mig.gamma'");
    ByteArrayOutputStream third = new ByteArrayOutputStream();
    Migration.Summary resumed = Migration.run(data, config, new PrintStream(third, true, StandardCharsets.UTF_8));
    assertEquals(1, resumed.tally(Migration.Kind.OWNERS).copied(), third.toString(StandardCharsets.UTF_8));
    assertEquals(1, resumed.tally(Migration.Kind.NUPKGS).copied(), third.toString(StandardCharsets.UTF_8));
    assertEquals(2, resumed.copied(), third.toString(StandardCharsets.UTF_8));
    assertEquals(0, resumed.bytesUploaded());
    assertEquals(keys, stores.server.keys(stores.bucket));
    assertEquals(rows, rows(stores));
    System.out.println("--- first run ---\n" + text + "--- second run ---\n" + secondText);
  }

  @Test
  void aDatabaseThatCannotBeReachedStopsTheMigrationWithOneLine(@TempDir Path dir) throws Exception {
    SharedStores stores = SharedStores.fresh();
    Map<String, List<String>> sections = new LinkedHashMap<>(targetSections(stores, dir.resolve("spool")));
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    sections.put("database", List.of("url: postgresql://postgres@127.0.0.1:" + closed + "/snupkg"));
    Path target = writeYaml(dir.resolve("target.yaml"), sections);
    Files.createDirectories(dir.resolve("data/feed"));
    Path from = writeYaml(dir.resolve("old.yaml"), Map.of("storage", List.of("path: '" + dir.resolve("data") + "'")));
    Command run = migrate(dir, "migrate", "--to", target.toString(), "--from", from.toString());
    assertNotEquals(0, run.exit(), run.output());
    List<String> errors = run.stderr().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, errors.size(), run.output());
    assertTrue(errors.get(0).startsWith("snupkg-gateway: migrate: ") && errors.get(0).contains("127.0.0.1:" + closed),
        errors.get(0));
    assertEquals(List.of(), stores.server.keys(stores.bucket));
    System.out.println("--- unreachable database ---\n" + run.output());

    Command usage = migrate(dir, "--help");
    assertEquals(0, usage.exit());
    assertTrue(usage.stdout().contains("migrate --to CONFIG.yaml [--from OLD.yaml]"), usage.stdout());
    Command missing = migrate(dir, "migrate", "--from", from.toString());
    assertEquals(2, missing.exit());
    assertTrue(missing.stderr().contains("--to"), missing.stderr());
  }

  private static Map<String, List<String>> targetSections(SharedStores stores, Path spool) {
    Map<String, List<String>> sections = new LinkedHashMap<>();
    stores.yaml().forEach((section, lines) -> sections.put(section, new ArrayList<>(lines)));
    sections.get("storage").add(0, "path: '" + spool + "'");
    return sections;
  }

  private static Path writeYaml(Path file, Map<String, List<String>> sections) throws IOException {
    StringBuilder yaml = new StringBuilder();
    sections.forEach((section, lines) -> {
      yaml.append(section).append(":\n");
      lines.forEach(l -> yaml.append("  ").append(l).append('\n'));
    });
    return Files.writeString(file, yaml);
  }

  record Command(int exit, String stdout, String stderr) {
    String output() {
      return "exit " + exit + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
    }
  }

  /** {@link Main} as a process of its own, with the test's class path and no SNUPKG_* variables of the caller. */
  private static Command migrate(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "migrate-", ".out");
    Path err = Files.createTempFile(dir, "migrate-", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SNUPKG_"));
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("migrate did not end within 120 s:\n" + Files.readString(out) + Files.readString(err));
    }
    return new Command(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** Every row the migration writes, in a stable order. */
  private static String rows(SharedStores stores) {
    StringBuilder all = new StringBuilder();
    for (String sql : List.of(
        "SELECT package_id, version, record::text, claim_sha512 FROM symbol_record ORDER BY 1, 2",
        "SELECT package_id, subject FROM package_owner ORDER BY 1",
        "SELECT package_id, version, state, subject FROM feed_package ORDER BY 1, 2",
        "SELECT file_name, key, blob_key, size, etag FROM ssqp_entry ORDER BY 1, 2",
        "SELECT package_id, version, sha512, state, attempts FROM publish_job ORDER BY 1, 2, 3")) {
      all.append(stores.postgres.psql(stores.database, sql)).append("\n--\n");
    }
    return all.toString();
  }

  private static String sha512(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
  }

  private static List<Path> files(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
