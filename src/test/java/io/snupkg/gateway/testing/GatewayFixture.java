package io.snupkg.gateway.testing;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.snupkg.gateway.Gateway;
import io.snupkg.gateway.auth.KeyFile;
import io.snupkg.gateway.config.ConfigLoader;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.metrics.Prometheus;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real gateway on loopback, in its own Vert.x, with storage and a key file in a test directory. Keys are
 * created before the start (through the same {@link KeyFile#add} as {@code keys add}) and returned by subject.
 */
public final class GatewayFixture implements AutoCloseable {
  public final Vertx vertx;
  public final Gateway gateway;
  public final Path dir;
  public final Map<String, String> keys;
  /** The bucket and database of the shared backend, or null on the filesystem backend. */
  public final SharedStores shared;

  private GatewayFixture(Vertx vertx, Gateway gateway, Path dir, Map<String, String> keys, SharedStores shared) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.dir = dir;
    this.keys = keys;
    this.shared = shared;
  }

  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  public static final class Builder {
    private final Path dir;
    private final List<String> yaml = new ArrayList<>();
    private final Map<String, String[]> keySpecs = new LinkedHashMap<>();
    private final Map<String, Instant> expiries = new LinkedHashMap<>();
    private SharedStores shared;
    private boolean filesystem;

    private Builder(Path dir) {
      this.dir = dir;
    }

    /**
     * On the shared backend (S3 + PostgreSQL) with these stores. Without this call, gateways run on the filesystem,
     * or on {@link SharedStores#of} their directory when the tests run with {@code -Dsnupkg.test.backend=shared}.
     */
    public Builder shared(SharedStores stores) {
      this.shared = stores;
      return this;
    }

    /** On the filesystem backend whatever the tests run with: for tests of that backend itself. */
    public Builder filesystem() {
      this.filesystem = true;
      return this;
    }

    /** A YAML line under a section, e.g. {@code yaml("limits", "maxSymbolPackageSize: 1MiB")}. */
    public Builder yaml(String section, String line) {
      yaml.add(section + ":\n  " + line);
      return this;
    }

    public Builder key(String subject, String... scopes) {
      keySpecs.put(subject, scopes);
      return this;
    }

    public Builder expiredKey(String subject, String... scopes) {
      expiries.put(subject, Instant.parse("2020-01-01T00:00:00Z"));
      return key(subject, scopes);
    }

    public GatewayFixture start() {
      try {
        Files.createDirectories(dir);
        Path keyFile = dir.resolve("api-keys.yaml");
        Map<String, String> keys = new LinkedHashMap<>();
        for (Map.Entry<String, String[]> k : keySpecs.entrySet()) {
          keys.put(k.getKey(), KeyFile.add(keyFile, k.getKey(), List.of(k.getValue()),
              Optional.ofNullable(expiries.get(k.getKey()))));
        }
        if (keys.isEmpty()) {
          Files.writeString(keyFile, "keys: []\n");
        }
        // Later sections of the same name would replace earlier ones in YAML: merge lines per section.
        Map<String, List<String>> sections = new LinkedHashMap<>();
        sections.computeIfAbsent("http", s -> new ArrayList<>()).addAll(List.of("host: 127.0.0.1", "port: 0"));
        sections.computeIfAbsent("management", s -> new ArrayList<>()).addAll(List.of("host: 127.0.0.1", "port: 0"));
        sections.computeIfAbsent("storage", s -> new ArrayList<>()).add("path: " + dir.resolve("data"));
        sections.computeIfAbsent("auth", s -> new ArrayList<>()).add("file: " + keyFile);
        SharedStores stores = filesystem ? null : shared != null ? shared
            : SharedStores.DEFAULT ? SharedStores.of(dir) : null;
        if (stores != null) {
          stores.yaml().forEach((section, lines) -> sections.computeIfAbsent(section, s -> new ArrayList<>())
              .addAll(lines));
        }
        for (String entry : yaml) {
          String[] parts = entry.split(":\n  ", 2);
          sections.computeIfAbsent(parts[0], s -> new ArrayList<>()).add(parts[1]);
        }
        StringBuilder text = new StringBuilder();
        sections.forEach((section, lines) -> {
          text.append(section).append(":\n");
          lines.forEach(l -> text.append("  ").append(l).append('\n'));
        });
        GatewayConfig config = ConfigLoader.fromYaml(text.toString(), "test", Map.of());
        PrometheusMeterRegistry registry = Prometheus.registry();
        Vertx vertx = Prometheus.vertx(registry);
        Gateway gateway = Gateway.start(vertx, config, Clock.systemUTC(), registry).await(30, TimeUnit.SECONDS);
        return new GatewayFixture(vertx, gateway, dir, keys, stores);
      } catch (Exception e) {
        throw new IllegalStateException("gateway did not start", e);
      }
    }
  }

  public String key(String subject) {
    return keys.get(subject);
  }

  public int port() {
    return gateway.httpPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public String serviceIndex() {
    return baseUrl() + "/v3/index.json";
  }

  /**
   * Puts a PDB where the publisher would have indexed it (for tests of the SSQP route alone): a file under
   * {@code data/ssqp/} on the filesystem backend, an object and its {@code ssqp_entry} row on the shared one.
   */
  public void placeSymbol(String file, String key, byte[] bytes) throws IOException {
    String blobKey = "ssqp/" + file + "/" + key + "/" + file;
    if (shared == null) {
      Path p = dir.resolve("data").resolve(blobKey);
      Files.createDirectories(p.getParent());
      Files.write(p, bytes);
      return;
    }
    String etag = shared.server.put(shared.bucket, blobKey, bytes);
    shared.postgres.psql(shared.database, "INSERT INTO ssqp_entry (file_name, key, blob_key, size, etag) VALUES ('"
        + file + "', '" + key + "', '" + blobKey + "', " + bytes.length + ", '" + etag.replace("'", "") + "')");
  }

  /** Files in the upload spool: must be empty whenever no upload is in flight. */
  public List<Path> spoolFiles() {
    return uploads(dir.resolve("data/spool"));
  }

  /**
   * The uploads in a spool folder; not the dot files beside them, which are the temporaries of a record being
   * written and the readiness probe (there so that every start removes what a crash left of them).
   */
  public static List<Path> uploads(Path spool) {
    if (!Files.isDirectory(spool)) {
      return List.of();
    }
    // A directory stream, not a walk: it stats nothing, so an upload that ends while it lists does not fail it.
    List<Path> uploads = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(spool)) {
      entries.forEach(p -> {
        if (!p.getFileName().toString().startsWith(".")) {
          uploads.add(p);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    uploads.sort(null);
    return uploads;
  }

  /**
   * Every file pushes store: not the spool, and not what publishing writes in the background (its work files, the
   * SSQP index, a record being replaced), which would make a before/after comparison depend on timing.
   */
  public List<Path> storedFiles() {
    if (shared != null) {
      return shared.stored();
    }
    List<Path> background = List.of(dir.resolve("data/spool"), dir.resolve("data/work"), dir.resolve("data/ssqp"));
    return files(dir.resolve("data")).stream().filter(p -> background.stream().noneMatch(p::startsWith))
        .toList();
  }

  /** Waits (up to 30 s) until publishing has decided about the pending push: the status, no longer pending. */
  public io.vertx.core.json.JsonObject awaitSettled(Http http, String id, String version) {
    io.vertx.core.json.JsonObject status = awaitStatus(http, id, version, s -> !"pending".equals(s),
        "published or failed");
    awaitObsoleteSnupkgsDeleted(status.getString("id"), status.getString("version"));
    return status;
  }

  /**
   * The outcome is recorded first and the snupkg it makes obsolete deleted after (so a crash in between leaves an
   * orphan, never a record without its file): wait for that deletion too, so that a before/after comparison of
   * {@link #storedFiles()} that follows sees a quiet store.
   */
  private void awaitObsoleteSnupkgsDeleted(String id, String version) {
    if (shared != null) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!shared.recordedSnupkgs(id, version).containsAll(shared.snupkgs(id, version))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(id + " " + version + ": obsolete snupkgs not deleted within 30 s: "
              + shared.snupkgs(id, version) + " kept " + shared.recordedSnupkgs(id, version));
        }
        sleep(50);
      }
      return;
    }
    Path folder = dir.resolve("data/symbols").resolve(id.toLowerCase(java.util.Locale.ROOT)).resolve(version);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> stored = List.of();
    Set<String> kept = Set.of();
    while (System.nanoTime() < deadline) {
      try {
        io.vertx.core.json.JsonObject record = new io.vertx.core.json.JsonObject(
            Files.readString(folder.resolve("record.json")));
        kept = Stream.of("available", "pending").map(record::getJsonObject).filter(java.util.Objects::nonNull)
            .map(u -> u.getString("sha512") + ".snupkg").collect(java.util.stream.Collectors.toSet());
      } catch (IOException | io.vertx.core.json.DecodeException e) {
        // mid-rename: read again
      }
      stored = files(folder).stream().map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".snupkg"))
          .toList();
      if (kept.containsAll(stored)) {
        return;
      }
      sleep(50);
    }
    throw new AssertionError(id + " " + version + ": obsolete snupkgs not deleted within 30 s: " + stored
        + " kept " + kept);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Waits (up to 30 s) until the symbols of {@code id} {@code version} have the state, then returns the status. */
  public io.vertx.core.json.JsonObject awaitSymbolState(Http http, String id, String version, String state) {
    io.vertx.core.json.JsonObject status = awaitStatus(http, id, version, state::equals, state);
    if (!"pending".equals(state)) {
      awaitObsoleteSnupkgsDeleted(status.getString("id"), status.getString("version"));
    }
    return status;
  }

  private io.vertx.core.json.JsonObject awaitStatus(Http http, String id, String version,
      java.util.function.Predicate<String> state, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    io.vertx.core.json.JsonObject status = null;
    while (System.nanoTime() < deadline) {
      Http.Reply r = http.get("/api/v2/symbolpackage/" + id + "/" + version + "/status");
      if (r.status() == 200) {
        status = new io.vertx.core.json.JsonObject(r.body());
        if (state.test(status.getString("state"))) {
          return status;
        }
      }
      sleep(50);
    }
    throw new AssertionError(id + " " + version + " was not " + what + " within 30 s; last status " + status);
  }

  /** The regular files under {@code root}, sorted; none if it does not exist. */
  public static List<Path> files(Path root) {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      gateway.stop().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Closes a class-wide client and fixture in @AfterAll, either of which may not have been created. */
  public static void closeAll(Http http, GatewayFixture gw) throws Exception {
    try {
      if (http != null) {
        http.close();
      }
    } finally {
      if (gw != null) {
        gw.close();
      }
    }
  }
}
