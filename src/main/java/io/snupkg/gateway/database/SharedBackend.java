package io.snupkg.gateway.database;

import io.snupkg.gateway.Backend;
import io.snupkg.gateway.config.GatewayConfig;
import io.snupkg.gateway.storage.DiskSpace;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.storage.S3BlobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The backend of several replicas ({@code storage.type: s3}): blobs in the bucket, everything else in PostgreSQL,
 * so that any replica can answer any request and no decision depends on which one received a push. What stays on
 * the replica is its own: the upload spool and the publisher's work files under {@code storage.path}.
 */
public final class SharedBackend {
  private SharedBackend() {}

  /** Connects to the database and migrates its schema; the bucket is checked by readiness, not here. */
  public static Future<Backend> start(Vertx vertx, GatewayConfig config, GatewayMetrics metrics, DiskSpace spool) {
    S3BlobStore blobs;
    try {
      blobs = new S3BlobStore(vertx, config.storage().s3(), metrics::storageRequest);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return Database.open(vertx, config.database(), metrics::databaseCall).map(db -> {
      // The pod's name (HOSTNAME on Kubernetes) with the process id: who holds a publish lease, for operators.
      String replica = ManagementFactory.getRuntimeMXBean().getName();
      PgPublishQueue queue = new PgPublishQueue(db, replica, config.symbols().publishLease());
      Map<String, Supplier<Future<Void>>> checks = new LinkedHashMap<>();
      checks.put("database", db::check);
      checks.put("storage", blobs::check);
      checks.put("spool", spool::check); // uploads still land on the local disk before they go to the bucket
      OrphanSweep sweep = new OrphanSweep(vertx, db, blobs, config.storage().orphanGrace());
      sweep.start();
      return new Backend(blobs, new PgSymbolRecords(db, queue::submitted), new PgOwners(db), new PgFeedIndex(db),
          new PgSymbolIndex(db, blobs), queue, new PgRateLimit(db, config.rateLimit().pushesPerHour()),
          config.symbols().publishPoll(), checks,
          "bucket " + config.storage().s3().bucket().orElseThrow() + ", records in " + db.description(), () -> {
            sweep.stop();
            blobs.close();
            db.close();
          });
    }).recover(err -> vertx.executeBlocking(() -> {
      blobs.close(); // waits for the S3 client's own event loops: not on ours
      return null;
    }, false).transform(x -> Future.failedFuture(err)));
  }
}
