package io.snupkg.gateway.database;

import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPushRule;
import io.snupkg.gateway.storage.SymbolRecords;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@link SymbolRecords} in PostgreSQL: every replica decides on the same row, under its row lock
 * ({@code SELECT … FOR UPDATE}), with the same {@link SymbolPushRule} as one machine. A push that wins the decision
 * first claims the record (its SHA-512, for {@link #CLAIM_TTL}) and commits; it then uploads its blob and, in a
 * second transaction, becomes the pending push and queues its publishing. Pushes that lose never upload, so a race
 * of a hundred leaves one blob; a same-bytes retry (the client's, after the winner's replica died mid-upload)
 * takes the claim over at once.
 */
public final class PgSymbolRecords implements SymbolRecords {
  /** Longer than any upload of one snupkg to the bucket; a claim older than this is abandoned. */
  static final Duration CLAIM_TTL = Duration.ofMinutes(5);

  private final Database db;
  private final Runnable queued;

  /** @param queued told after each push queued for publishing (wakes this replica's publisher) */
  public PgSymbolRecords(Database db, Runnable queued) {
    this.db = db;
    this.queued = queued;
  }

  static String idKey(String id) {
    return PackageId.lower(id);
  }

  static String versionKey(String version) {
    return version.toLowerCase(Locale.ROOT);
  }

  @Override
  public Future<Optional<SymbolPackageRecord>> record(String id, String normalizedVersion) {
    return db.query("SELECT record FROM symbol_record WHERE package_id = $1 AND version = $2",
            Tuple.of(idKey(id), versionKey(normalizedVersion)))
        .map(rows -> rows.size() == 0 ? Optional.<SymbolPackageRecord>empty() : Optional.of(recordOf(rows.iterator().next())))
        .map(r -> r.filter(rec -> rec.available().isPresent() || rec.pending().isPresent()
            || rec.failed().isPresent())); // a row with only a claim is no record yet
  }

  static SymbolPackageRecord recordOf(Row row) {
    Object json = row.getValue("record");
    return SymbolPackageRecord.fromJson(json instanceof JsonObject j ? j : new JsonObject(String.valueOf(json)));
  }

  private enum Claimed { WON, SAME }

  @Override
  public Future<Accepted> accept(Push push, Supplier<Future<Void>> storeBlob) {
    String sha = push.upload().sha512();
    return db.transaction(conn -> lock(conn, push.id(), push.version()).compose(row -> {
      SymbolPackageRecord record = recordOf(row);
      switch (SymbolPushRule.decide(record, sha)) {
        case SAME:
          return Future.succeededFuture(Claimed.SAME);
        case CONFLICT:
          return Future.failedFuture(SymbolPushRule.conflict(push.id(), push.version()));
        default:
          break;
      }
      String claim = row.getString("claim_sha512");
      boolean claimLive = claim != null && row.getBoolean("claim_live");
      if (claimLive && !claim.equals(sha)) {
        return Future.failedFuture(SymbolPushRule.conflict(push.id(), push.version()));
      }
      return (push.claimOwner() ? PgOwners.claimIn(conn, push.id(), push.upload().subject()) : Future.<Void>succeededFuture())
          .compose(v -> Database.run(conn, "UPDATE symbol_record SET claim_sha512 = $3, claim_until = now() + "
              + "make_interval(secs => $4) WHERE package_id = $1 AND version = $2",
              Tuple.of(idKey(push.id()), versionKey(push.version()), sha, (double) CLAIM_TTL.toSeconds())))
          .map(Claimed.WON);
    })).compose(claimed -> claimed == Claimed.SAME ? Future.succeededFuture(Accepted.ALREADY_STORED)
        : storeBlob.get()
            .recover(err -> release(push).transform(x -> Future.failedFuture(Database.notStored(err))))
            .compose(v -> commit(push)));
  }

  /** The record row, created empty if this is the first push of the id and version, locked for this decision. */
  private static Future<Row> lock(SqlConnection conn, String id, String version) {
    JsonObject empty = SymbolPackageRecord.empty(id, version).toJson();
    return Database.run(conn, "INSERT INTO symbol_record (package_id, version, record) VALUES ($1, $2, $3) "
            + "ON CONFLICT DO NOTHING", Tuple.of(idKey(id), versionKey(version), empty))
        .compose(v -> Database.run(conn, "SELECT record, claim_sha512, claim_until > now() AS claim_live "
            + "FROM symbol_record WHERE package_id = $1 AND version = $2 FOR UPDATE",
            Tuple.of(idKey(id), versionKey(version))))
        .map(rows -> rows.iterator().next());
  }

  /** The blob is stored: the claimed push becomes the pending one and its publishing is queued, in one step. */
  private Future<Accepted> commit(Push push) {
    String sha = push.upload().sha512();
    return db.transaction(conn -> lock(conn, push.id(), push.version()).compose(row -> {
      SymbolPackageRecord record = recordOf(row);
      if (record.pending().map(p -> p.sha512().equals(sha)).orElse(false)) {
        return Future.succeededFuture(Accepted.ALREADY_STORED); // a same-bytes retry on another replica was faster
      }
      if (record.pending().isPresent() || !sha.equals(row.getString("claim_sha512"))) {
        // Only if this upload outlived its claim and another push took the record meanwhile.
        return Future.failedFuture(SymbolPushRule.conflict(push.id(), push.version()));
      }
      return Database.run(conn, "UPDATE symbol_record SET record = $3, claim_sha512 = NULL, claim_until = NULL "
              + "WHERE package_id = $1 AND version = $2",
              Tuple.of(idKey(push.id()), versionKey(push.version()), record.withPending(push.upload()).toJson()))
          .compose(v -> Database.run(conn, "INSERT INTO publish_job (package_id, version, sha512) VALUES ($1, $2, $3) "
              + "ON CONFLICT DO NOTHING", Tuple.of(idKey(push.id()), versionKey(push.version()), sha)))
          .map(Accepted.PENDING);
    })).onSuccess(a -> {
      if (a == Accepted.PENDING) {
        queued.run();
      }
    });
  }

  /** The upload failed: give the claim up so that the client's retry (any bytes) is decided at once. */
  private Future<Void> release(Push push) {
    return db.query("UPDATE symbol_record SET claim_sha512 = NULL, claim_until = NULL WHERE package_id = $1 "
            + "AND version = $2 AND claim_sha512 = $3",
            Tuple.of(idKey(push.id()), versionKey(push.version()), push.upload().sha512()))
        .<Void>mapEmpty().recover(err -> Future.succeededFuture()); // it expires anyway
  }

  @Override
  public Future<List<SymbolPackageRecord>> pending() {
    return Future.succeededFuture(List.of()); // the publish_job table is the queue
  }
}
