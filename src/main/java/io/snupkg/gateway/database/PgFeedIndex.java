package io.snupkg.gateway.database;

import io.snupkg.gateway.feed.FeedIndex;
import io.snupkg.gateway.feed.LocalFolderFeed;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link FeedIndex} in PostgreSQL ({@code feed_package}). The first push of a version claims its row ('storing')
 * in one statement, with the id's owner, then uploads the nupkg and marks it stored; every other push of that
 * version gets 409 and uploads nothing. A claim whose replica died is taken over after {@link PgSymbolRecords#CLAIM_TTL}.
 */
public final class PgFeedIndex implements FeedIndex {
  private final Database db;

  public PgFeedIndex(Database db) {
    this.db = db;
  }

  @Override
  public Future<Boolean> contains(String id, String normalizedVersion) {
    return db.query("SELECT 1 FROM feed_package WHERE package_id = $1 AND version = $2 AND state = 'stored'",
        key(id, normalizedVersion)).map(rows -> rows.size() > 0);
  }

  @Override
  public Future<List<String>> versions(String id) {
    return db.query("SELECT version FROM feed_package WHERE package_id = $1 AND state = 'stored'",
        Tuple.of(PgSymbolRecords.idKey(id))).map(rows -> {
          List<String> versions = new ArrayList<>();
          for (Row row : rows) {
            versions.add(row.getString(0));
          }
          return versions;
        });
  }

  @Override
  public Future<Void> add(String id, String normalizedVersion, String subject, boolean claimOwner,
      Supplier<Future<Void>> storeBlob) {
    Tuple key = key(id, normalizedVersion);
    return db.transaction(conn -> Database.run(conn, "INSERT INTO feed_package AS f (package_id, version, state, "
            + "claim_until, subject) VALUES ($1, $2, 'storing', now() + make_interval(secs => $4), $3) "
            + "ON CONFLICT (package_id, version) DO UPDATE SET claim_until = EXCLUDED.claim_until, subject = "
            + "EXCLUDED.subject WHERE f.state = 'storing' AND f.claim_until < now() RETURNING 1",
            Tuple.of(key.getString(0), key.getString(1), subject, (double) PgSymbolRecords.CLAIM_TTL.toSeconds()))
        .compose(rows -> rows.size() == 0
            ? Future.<Void>failedFuture(LocalFolderFeed.versionExists(id, normalizedVersion))
            : claimOwner ? PgOwners.claimIn(conn, id, subject) : Future.<Void>succeededFuture()))
        .compose(v -> storeBlob.get().recover(err -> db.query("DELETE FROM feed_package WHERE package_id = $1 AND "
                + "version = $2 AND state = 'storing'", key)
            .transform(x -> Future.failedFuture(Database.notStored(err)))))
        .compose(v -> db.query("UPDATE feed_package SET state = 'stored', claim_until = NULL WHERE package_id = $1 "
            + "AND version = $2", key))
        .mapEmpty();
  }

  private static Tuple key(String id, String version) {
    return Tuple.of(PgSymbolRecords.idKey(id), PgSymbolRecords.versionKey(version));
  }
}
