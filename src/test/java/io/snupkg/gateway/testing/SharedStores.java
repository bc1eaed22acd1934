package io.snupkg.gateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One bucket and one database for the shared backend ({@code storage.type: s3}) of one or more gateways: on a
 * real S3 server (S3Proxy) and a real PostgreSQL. {@link #fresh()} makes new ones on the servers the test JVM
 * shares; {@link #of(Path)} gives the same ones again for a gateway directory, so a restart finds its data.
 */
public final class SharedStores {
  /** Which backend GatewayFixture gives gateways that ask for none: {@code -Dsnupkg.test.backend=shared}. */
  public static final boolean DEFAULT = "shared".equals(System.getProperty("snupkg.test.backend"));

  private static TestS3 s3;
  private static final Map<Path, SharedStores> BY_DIR = new ConcurrentHashMap<>();

  public final TestS3 server;
  public final TestPostgres postgres;
  public final String bucket;
  public final String database;
  private final boolean presign;

  private SharedStores(TestS3 server, TestPostgres postgres, String bucket, String database, boolean presign) {
    this.server = server;
    this.postgres = postgres;
    this.bucket = bucket;
    this.database = database;
    this.presign = presign;
  }

  /** The same stores, for gateways that answer downloads with a presigned URL ({@code presignDownloads}). */
  public SharedStores presigned() {
    return new SharedStores(server, postgres, bucket, database, true);
  }

  /** A new bucket and database on the JVM's S3Proxy and PostgreSQL. */
  public static SharedStores fresh() {
    return on(sharedS3(), TestPostgres.shared());
  }

  /** A new bucket and database on these servers. */
  public static SharedStores on(TestS3 server, TestPostgres postgres) {
    String bucket = "snupkg-" + UUID.randomUUID().toString().substring(0, 8);
    server.createBucket(bucket);
    return new SharedStores(server, postgres, bucket, postgres.createDatabase(), false);
  }

  /** The stores of the gateway in {@code dir}: made on first use, the same for a restart in that directory. */
  public static SharedStores of(Path dir) {
    return BY_DIR.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> fresh());
  }

  private static synchronized TestS3 sharedS3() {
    if (s3 == null) {
      try {
        Path dir = Files.createTempDirectory("snupkg-s3-");
        TestS3 server = TestS3.start(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        s3 = server;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return s3;
  }

  /** The configuration lines of a gateway on these stores, by section (merged into the fixture's). */
  public Map<String, List<String>> yaml() {
    return Map.of(
        "storage", List.of("type: s3", "s3:", "    endpoint: " + server.endpoint(), "    bucket: " + bucket,
            "    pathStyle: true", "    accessKey: " + server.accessKey(), "    secretKey: " + server.secretKey(),
            "    partSize: 5MiB", "    presignDownloads: " + presign),
        "database", List.of("url: " + postgres.url(database), "poolSize: 4"),
        "symbols", List.of("publishLease: 2s", "publishPoll: 200ms"));
  }

  /**
   * What pushes store, as the filesystem fixture lists files: every object of the bucket but the SSQP PDBs, and a
   * line per record, owner and feed version (what a refused push must not write either).
   */
  public List<Path> stored() {
    List<Path> stored = new ArrayList<>();
    server.keys(bucket).stream().filter(k -> !k.startsWith("ssqp/")).map(Path::of).forEach(stored::add);
    for (String table : List.of(
        "SELECT 'db/symbol_record/' || package_id || '/' || version || coalesce('/claim-' || claim_sha512, '') "
            + "FROM symbol_record",
        "SELECT 'db/package_owner/' || package_id || '/' || subject FROM package_owner",
        "SELECT 'db/feed_package/' || package_id || '/' || version || '/' || state FROM feed_package")) {
      String out = postgres.psql(database, table);
      out.lines().filter(l -> !l.isBlank()).map(Path::of).forEach(stored::add);
    }
    stored.sort(null);
    return stored;
  }

  /** The snupkg objects of one id and version, by file name ({@code <sha512>.snupkg}). */
  public List<String> snupkgs(String id, String version) {
    String prefix = "symbols/" + id.toLowerCase(Locale.ROOT) + "/" + version.toLowerCase(Locale.ROOT) + "/";
    return server.keys(bucket).stream().filter(k -> k.startsWith(prefix) && k.endsWith(".snupkg"))
        .map(k -> k.substring(prefix.length())).toList();
  }

  /** The SHA-512s the record of one id and version names (available and pending). */
  public List<String> recordedSnupkgs(String id, String version) {
    String out = postgres.psql(database, "SELECT coalesce(record->'available'->>'sha512', '') || ' ' || "
        + "coalesce(record->'pending'->>'sha512', '') FROM symbol_record WHERE package_id = '"
        + id.toLowerCase(Locale.ROOT).replace("'", "") + "' AND version = '"
        + version.toLowerCase(Locale.ROOT).replace("'", "") + "'");
    return List.of(out.trim().split("\\s+")).stream().filter(s -> !s.isEmpty()).map(s -> s + ".snupkg").toList();
  }
}
