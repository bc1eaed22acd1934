package io.snupkg.gateway.database;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.storage.S3BlobStore;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.snupkg.gateway.storage.SymbolPushRule;
import io.snupkg.gateway.testing.SharedStores;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep of snupkgs that no record names (a replica died between uploading a push and recording it), on a real
 * bucket and database: it deletes those older than the grace period and keeps what a record names, served,
 * pending or claimed by an upload under way.
 */
@Timeout(60)
class OrphanSweepTest {
  static final String A = "a".repeat(128);
  static final String B = "b".repeat(128);
  static final String C = "c".repeat(128);
  static final String D = "d".repeat(128);

  @Test
  void deletesOnlyTheSnupkgsNoRecordNames(@TempDir Path dir) throws Exception {
    SharedStores stores = SharedStores.fresh();
    Vertx vertx = Vertx.vertx();
    S3BlobStore blobs = new S3BlobStore(vertx, stores.server.config(stores.bucket, "", 16 * 1024 * 1024, false));
    Database db = Database.open(vertx, new GatewayConfig.Database(Optional.of(stores.postgres.url(stores.database)),
        Optional.empty(), 2), (kind, result) -> { }).await(30, TimeUnit.SECONDS);
    try {
      Path file = Files.writeString(dir.resolve("x.snupkg"), "bytes");
      for (String sha : List.of(A, B, C, D)) {
        blobs.putFile(SymbolPushRule.snupkgKey("Sweep.Lib", "1.0.0", sha), file).await(30, TimeUnit.SECONDS);
      }
      Instant t = Instant.parse("2026-01-01T00:00:00Z");
      SymbolPackageRecord record = SymbolPackageRecord.empty("Sweep.Lib", "1.0.0")
          .withPending(new Upload(A, 5, "ci", t)).published().withPending(new Upload(B, 5, "ci", t));
      db.query("INSERT INTO symbol_record (package_id, version, record, claim_sha512, claim_until) "
          + "VALUES ($1, $2, $3, $4, now())", Tuple.of("sweep.lib", "1.0.0", record.toJson(), C))
          .await(30, TimeUnit.SECONDS);

      OrphanSweep sweep = new OrphanSweep(vertx, db, blobs, Duration.ZERO);
      assertEquals(1, sweep.sweep(null, 0).await(30, TimeUnit.SECONDS), "only D is named by nothing");
      assertEquals(List.of(A, B, C).stream().map(s -> "symbols/sweep.lib/1.0.0/" + s + ".snupkg").toList(),
          stores.server.keys(stores.bucket));

      OrphanSweep patient = new OrphanSweep(vertx, db, blobs, Duration.ofHours(1));
      blobs.putFile(SymbolPushRule.snupkgKey("Sweep.Lib", "1.0.0", D), file).await(30, TimeUnit.SECONDS);
      assertEquals(0, patient.sweep(null, 0).await(30, TimeUnit.SECONDS), "younger than the grace period");
    } finally {
      db.close();
      blobs.close();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
