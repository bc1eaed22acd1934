package io.snupkg.gateway.database;

import io.snupkg.gateway.publish.PublishQueue;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link PublishQueue} in PostgreSQL ({@code publish_job}): a job is claimed with {@code FOR UPDATE SKIP LOCKED}
 * for {@code lease}, renewed every third of it while the work goes on, and taken over by any replica once the lease
 * has expired (its holder died or froze). The lease token fences the holder: the outcome is recorded, and the job
 * deleted, only by the transaction that still holds the token, so a replica that wakes up late changes nothing.
 */
public final class PgPublishQueue implements PublishQueue {
  private final Database db;
  private final String owner;
  private final Duration lease;

  /** @param owner names this replica in the job rows (for operators: who holds what) */
  public PgPublishQueue(Database db, String owner, Duration lease) {
    this.db = db;
    this.owner = owner;
    this.lease = lease;
  }

  private volatile io.vertx.core.Context context;
  private volatile Runnable wake = () -> { };

  @Override
  public void onWork(Runnable wake) {
    this.context = io.vertx.core.Vertx.currentContext();
    this.wake = wake;
  }

  /** A push on this replica was queued (on any event loop): wake this replica's publisher on its context. */
  void submitted() {
    io.vertx.core.Context publisher = context;
    if (publisher != null) {
      publisher.runOnContext(v -> wake.run());
    }
  }

  @Override
  public Future<Void> start() {
    return Future.succeededFuture();
  }

  @Override
  public Future<Optional<Job>> claim() {
    return db.query("UPDATE publish_job SET state = 'running', owner = $1, lease_token = gen_random_uuid(), "
            + "lease_until = now() + make_interval(secs => $2), attempts = attempts + 1 "
            + "WHERE (package_id, version, sha512) = (SELECT package_id, version, sha512 FROM publish_job "
            + "  WHERE (state = 'ready' AND not_before <= now()) OR (state = 'running' AND lease_until < now()) "
            + "  ORDER BY not_before LIMIT 1 FOR UPDATE SKIP LOCKED) "
            + "RETURNING package_id, version, sha512, lease_token, attempts",
            Tuple.of(owner, seconds(lease)))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(Optional.empty()) : job(rows.iterator().next()));
  }

  /** The claimed row with the upload its record has pending; a job whose push is no longer pending is dropped. */
  private Future<Optional<Job>> job(Row row) {
    String id = row.getString("package_id");
    String version = row.getString("version");
    String sha = row.getString("sha512");
    UUID token = row.getUUID("lease_token");
    return db.query("SELECT record FROM symbol_record WHERE package_id = $1 AND version = $2", Tuple.of(id, version))
        .compose(rows -> {
          Optional<SymbolPackageRecord> record = rows.size() == 0 ? Optional.empty()
              : Optional.of(PgSymbolRecords.recordOf(rows.iterator().next()));
          Optional<Upload> pending = record.flatMap(SymbolPackageRecord::pending).filter(u -> u.sha512().equals(sha));
          if (pending.isEmpty()) {
            return deleteJob(id, version, sha, token).compose(v -> claim());
          }
          SymbolPackageRecord r = record.get();
          return Future.succeededFuture(Optional.of(new Job(r.id(), r.version(), pending.get(),
              row.getInteger("attempts"), new Lease(id, version, sha, token))));
        });
  }

  private record Lease(String id, String version, String sha512, UUID token) {
    Tuple key() {
      return Tuple.of(id, version, sha512, token);
    }
  }

  private static final String HELD = " WHERE package_id = $1 AND version = $2 AND sha512 = $3 AND lease_token = $4";

  private Future<Void> deleteJob(String id, String version, String sha, UUID token) {
    return db.query("DELETE FROM publish_job" + HELD, Tuple.of(id, version, sha, token)).mapEmpty();
  }

  @Override
  public Future<Void> renew(Job job) {
    Lease l = (Lease) job.lease();
    return db.query("UPDATE publish_job SET lease_until = now() + make_interval(secs => $5)" + HELD,
            l.key().addValue(seconds(lease)))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture("another replica holds the job now"));
  }

  @Override
  public Duration renewEvery() {
    return lease.dividedBy(3);
  }

  @Override
  public Future<Void> retryLater(Job job, Duration after) {
    Lease l = (Lease) job.lease();
    return db.query("UPDATE publish_job SET state = 'ready', lease_token = NULL, lease_until = NULL, owner = NULL, "
            + "not_before = now() + make_interval(secs => $5)" + HELD, l.key().addValue(seconds(after)))
        .mapEmpty();
  }

  @Override
  public Future<Finished> finish(Job job, Optional<List<String>> failure, Instant at) {
    Lease l = (Lease) job.lease();
    return db.transaction(conn -> Database.run(conn, "DELETE FROM publish_job" + HELD, l.key())
        .compose(deleted -> {
          if (deleted.rowCount() == 0) {
            return Future.succeededFuture(new Finished(false, Optional.empty())); // fenced: the lease is gone
          }
          return Database.run(conn, "SELECT record FROM symbol_record WHERE package_id = $1 AND version = $2 "
              + "FOR UPDATE", Tuple.of(l.id(), l.version())).compose(rows -> {
                SymbolPackageRecord record = PgSymbolRecords.recordOf(rows.iterator().next());
                if (!record.pending().map(job.upload()::equals).orElse(false)) {
                  return Future.succeededFuture(new Finished(false, Optional.empty()));
                }
                return Database.run(conn, "UPDATE symbol_record SET record = $3 WHERE package_id = $1 AND version = $2",
                        Tuple.of(l.id(), l.version(), record.finished(failure, at).toJson()))
                    .map(v -> new Finished(true, record.obsoleteWhenFinished(failure)));
              });
        }));
  }

  @Override
  public Future<Void> release(List<Job> jobs) {
    return Future.join(jobs.stream().map(job -> retryLater(job, Duration.ZERO)).toList()).mapEmpty();
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }
}
