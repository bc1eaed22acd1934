package io.snupkg.gateway.database;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.PackageOwners;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/** {@link PackageOwners} in PostgreSQL: the first {@code INSERT} of an id wins, whichever replica runs it. */
public final class PgOwners implements PackageOwners {
  private final Database db;

  public PgOwners(Database db) {
    this.db = db;
  }

  @Override
  public Future<Optional<String>> owner(String id) {
    return db.query("SELECT subject FROM package_owner WHERE package_id = $1", Tuple.of(PgSymbolRecords.idKey(id)))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  @Override
  public Future<String> claim(String id, String subject) {
    return db.transaction(conn -> claimed(conn, id, subject));
  }

  private static Future<String> claimed(SqlClient conn, String id, String subject) {
    Tuple key = Tuple.of(PgSymbolRecords.idKey(id), subject);
    return Database.run(conn, "INSERT INTO package_owner (package_id, subject) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            key)
        .compose(v -> Database.run(conn, "SELECT subject FROM package_owner WHERE package_id = $1",
            Tuple.of(PgSymbolRecords.idKey(id))))
        .map(rows -> rows.iterator().next().getString(0));
  }

  /** Inside a push's decision: claims the id or fails with 403, so that the owner and the record commit together. */
  static Future<Void> claimIn(SqlClient conn, String id, String subject) {
    return claimed(conn, id, subject).compose(owner -> owner.equals(subject) ? Future.succeededFuture()
        : Future.failedFuture(Rejection.forbidden()));
  }
}
