package io.snupkg.gateway.database;

import io.snupkg.gateway.storage.S3BlobStore;
import io.snupkg.gateway.storage.S3BlobStore.Listed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes snupkgs that no record names, once they are older than the grace period: what a replica leaves when it
 * dies between uploading a push's blob and recording it (a blob that was never acknowledged). Every replica sweeps,
 * at a random moment of each period; deletes are idempotent, so two sweeps at once do no harm. Only the snupkgs of
 * {@code symbols/} are swept: nupkgs and PDBs are recorded before their upload can be lost (a 'storing' feed row,
 * an SSQP row written after its blob, which the publisher's retry writes again).
 */
final class OrphanSweep {
  private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);
  private static final Pattern SNUPKG = Pattern.compile("symbols/([^/]+)/([^/]+)/([0-9a-f]{128})\\.snupkg");
  private static final int PAGE = 500;

  private final Vertx vertx;
  private final Database db;
  private final S3BlobStore blobs;
  private final Duration grace;
  private long timer = -1;
  private volatile boolean stopped;

  OrphanSweep(Vertx vertx, Database db, S3BlobStore blobs, Duration grace) {
    this.vertx = vertx;
    this.db = db;
    this.blobs = blobs;
    this.grace = grace;
  }

  void start() {
    schedule();
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }

  private void schedule() {
    if (stopped) {
      return;
    }
    long period = Math.max(60_000, grace.toMillis() / 2);
    timer = vertx.setTimer(period / 2 + ThreadLocalRandom.current().nextLong(period / 2 + 1), t -> sweep(null, 0)
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("Orphan sweep stopped early: {}", Database.oneLine(ar.cause()));
          } else if (ar.result() > 0) {
            LOG.info("Orphan sweep deleted {} snupkgs that no record names", ar.result());
          }
          schedule();
        }));
  }

  /** One pass over {@code symbols/}, a page at a time; the count of blobs deleted. */
  Future<Integer> sweep(String after, int deleted) {
    if (stopped) {
      return Future.succeededFuture(deleted);
    }
    Instant cutoff = Instant.now().minus(grace);
    return blobs.list("symbols/", after, PAGE).compose(page -> {
      Future<Integer> chain = Future.succeededFuture(deleted);
      for (Listed blob : page) {
        Matcher m = SNUPKG.matcher(blob.key());
        if (m.matches() && blob.lastModified().isBefore(cutoff)) {
          chain = chain.compose(n -> named(m.group(1), m.group(2), m.group(3))
              .compose(used -> used ? Future.succeededFuture(n) : blobs.delete(blob.key()).map(n + 1)));
        }
      }
      return page.size() < PAGE ? chain : chain.compose(n -> sweep(page.get(page.size() - 1).key(), n));
    });
  }

  /** Whether a record names the snupkg: served, pending, or claimed by an upload under way. */
  private Future<Boolean> named(String id, String version, String sha512) {
    return db.query("SELECT 1 FROM symbol_record WHERE package_id = $1 AND version = $2 AND (claim_sha512 = $3 "
            + "OR record->'available'->>'sha512' = $3 OR record->'pending'->>'sha512' = $3)",
            Tuple.of(id, version, sha512))
        .map(rows -> rows.size() > 0);
  }

}
