package io.snupkg.gateway.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.snupkg.gateway.auth.KeyFile;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.testing.GatewayFixture;
import io.snupkg.gateway.testing.GatewayProcess;
import io.snupkg.gateway.testing.Http;
import io.snupkg.gateway.testing.SharedStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

/**
 * One gateway process for the fault tests, on either backend, that can be killed and started again on the same
 * data (its directory, and on the shared backend the same bucket and database). It checks what a reader could see
 * after a fault: every stored snupkg complete (its SHA-512 is its name), every nupkg a readable zip, every record
 * parseable and naming only snupkgs that exist.
 */
final class Node implements AutoCloseable {
  enum Store { FILESYSTEM, SHARED }

  static final String SYMBOLS = "/api/v2/symbolpackage/";
  static final String PACKAGES = "/api/v2/package/";

  final Path dir;
  final Store store;
  final SharedStores shared;
  final String key;
  private final Map<String, List<String>> sections;
  private final List<String> wrapper;
  private final Vertx vertx = Vertx.vertx();
  private GatewayProcess process;
  private Http http;
  private Http management;

  private Node(Path dir, Store store, Map<String, List<String>> extra, List<String> wrapper) {
    this.dir = dir;
    this.store = store;
    this.wrapper = wrapper;
    this.shared = store == Store.SHARED ? SharedStores.fresh() : null;
    try {
      Files.createDirectories(dir.resolve("data"));
      this.key = KeyFile.add(dir.resolve("api-keys.yaml"), "ci", List.of("*"), Optional.empty());
    } catch (IOException | KeyFile.KeyFileException e) {
      throw new IllegalStateException(e);
    }
    Map<String, List<String>> merged = new LinkedHashMap<>();
    merged.put("auth", new ArrayList<>(List.of("file: " + dir.resolve("api-keys.yaml"))));
    merged.put("storage", new ArrayList<>());
    if (shared != null) {
      shared.yaml().forEach((s, lines) -> merged.computeIfAbsent(s, x -> new ArrayList<>()).addAll(lines));
    }
    extra.forEach((s, lines) -> merged.computeIfAbsent(s, x -> new ArrayList<>()).addAll(lines));
    this.sections = merged;
  }

  /** Starts a node and waits until it is ready. */
  static Node start(Path dir, Store store, Map<String, List<String>> extra) {
    return start(dir, store, extra, List.of());
  }

  /** As {@link #start(Path, Store, Map)}, the JVM run by {@code wrapper} (see {@link GatewayProcess#start}). */
  static Node start(Path dir, Store store, Map<String, List<String>> extra, List<String> wrapper) {
    Node node = new Node(dir, store, extra, wrapper);
    node.launch();
    return node;
  }

  /**
   * Starts the process (again) on the same data and waits for readiness.
   *
   * @return milliseconds from the start of the JVM to readiness
   */
  long launch() {
    closeClients();
    long started = System.nanoTime();
    process = GatewayProcess.start(dir, sections, wrapper);
    http = new Http(vertx, process.port(), 32);
    management = new Http(vertx, process.managementPort());
    awaitReady();
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
  }

  /** {@code kill -9}. */
  void kill() throws InterruptedException {
    process.kill();
    closeClients();
  }

  GatewayProcess process() {
    return process;
  }

  Http http() {
    return http;
  }

  int port() {
    return process.port();
  }

  /** The Prometheus scrape. */
  String metrics() {
    return management.get("/metrics").body();
  }

  Http.Reply ready() {
    return management.get("/health/ready");
  }

  void awaitReady() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Http.Reply last = null;
    while (System.nanoTime() < deadline) {
      last = ready();
      if (last.status() == 200) {
        return;
      }
      sleep(20);
    }
    throw new AssertionError("not ready within 60 s: " + last + "\n" + process.log());
  }

  Http.Reply pushPackage(byte[] nupkg) {
    return http.push(PACKAGES, key, nupkg);
  }

  Http.Reply pushSymbols(byte[] snupkg) {
    return http.push(SYMBOLS, key, snupkg);
  }

  /** The state of the symbols of a version ("pending", "available", "failed"), or "none" (404). */
  String symbolState(String id, String version) {
    Http.Reply r = http.get(SYMBOLS + id + "/" + version + "/status");
    return r.status() == 404 ? "none" : new JsonObject(r.body()).getString("state");
  }

  /** Waits until the symbols of a version are available (60 s: publishing retries after a restart). */
  void awaitAvailable(String id, String version) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String state = null;
    while (System.nanoTime() < deadline) {
      state = symbolState(id, version);
      if ("available".equals(state)) {
        return;
      }
      sleep(50);
    }
    throw new AssertionError(id + " " + version + " not available within 60 s: " + state);
  }

  /** The data directory as the process sees it (through its mount namespace when wrapped). */
  Path data() {
    return wrapper.isEmpty() ? dir.resolve("data") : process.seen(dir.resolve("data"));
  }

  List<Path> spoolFiles() {
    return GatewayFixture.uploads(data().resolve("spool"));
  }

  /**
   * Nothing partial is visible: every stored snupkg is complete (its SHA-512 equals its name), every stored nupkg
   * is a readable zip, every record parses and names only snupkgs that are stored.
   *
   * @return how many snupkgs were checked
   */
  int assertNothingPartial() throws IOException {
    return store == Store.SHARED ? assertNothingPartialInBucket() : assertNothingPartialOnDisk();
  }

  private int assertNothingPartialOnDisk() throws IOException {
    int snupkgs = 0;
    for (Path p : files(data())) {
      String name = p.getFileName().toString();
      if (p.startsWith(data().resolve("spool")) || p.startsWith(data().resolve("work"))) {
        continue;
      }
      if (name.endsWith(".snupkg")) {
        assertEquals(name.substring(0, name.length() - ".snupkg".length()), sha512(Files.readAllBytes(p)),
            "a stored snupkg is not complete: " + p);
        snupkgs++;
      } else if (name.endsWith(".nupkg")) {
        assertReadableZip(p);
      } else if (name.equals("record.json")) {
        SymbolPackageRecord record = SymbolPackageRecord.fromJson(new JsonObject(Files.readString(p)));
        for (SymbolPackageRecord.Upload u : uploads(record)) {
          assertTrue(Files.isRegularFile(p.resolveSibling(u.sha512() + ".snupkg")), p + " names a missing snupkg");
        }
      }
    }
    return snupkgs;
  }

  private int assertNothingPartialInBucket() throws IOException {
    int snupkgs = 0;
    List<String> keys = shared.server.keys(shared.bucket);
    for (String k : keys) {
      String name = k.substring(k.lastIndexOf('/') + 1);
      if (name.endsWith(".snupkg")) {
        assertEquals(name.substring(0, name.length() - ".snupkg".length()),
            sha512(shared.server.get(shared.bucket, k)), "a stored snupkg is not complete: " + k);
        snupkgs++;
      } else if (name.endsWith(".nupkg")) {
        Path copy = Files.createTempFile(dir, "check", ".nupkg");
        Files.write(copy, shared.server.get(shared.bucket, k));
        assertReadableZip(copy);
        Files.delete(copy);
      }
    }
    String rows = shared.postgres.psql(shared.database,
        "SELECT package_id || '/' || version || '/' || record::text FROM symbol_record");
    for (String row : rows.lines().filter(l -> !l.isBlank()).toList()) {
      String[] parts = row.split("/", 3);
      SymbolPackageRecord record = SymbolPackageRecord.fromJson(new JsonObject(parts[2]));
      for (SymbolPackageRecord.Upload u : uploads(record)) {
        assertTrue(keys.contains("symbols/" + parts[0] + "/" + parts[1] + "/" + u.sha512() + ".snupkg"),
            row + " names a missing snupkg");
      }
    }
    return snupkgs;
  }

  private static List<SymbolPackageRecord.Upload> uploads(SymbolPackageRecord record) {
    List<SymbolPackageRecord.Upload> all = new ArrayList<>();
    record.available().ifPresent(all::add);
    record.pending().ifPresent(all::add);
    return all;
  }

  private static void assertReadableZip(Path p) throws IOException {
    try (ZipFile zip = new ZipFile(p.toFile())) {
      assertTrue(zip.stream().findAny().isPresent(), "an empty nupkg: " + p);
    }
  }

  static String sha512(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Path> files(Path root) {
    return GatewayFixture.files(root);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void closeClients() {
    if (http != null) {
      http.close();
      management.close();
      http = null;
    }
  }

  @Override
  public void close() throws Exception {
    try {
      closeClients();
      if (process != null) {
        process.close();
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
