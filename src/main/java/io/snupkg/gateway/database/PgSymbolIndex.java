package io.snupkg.gateway.database;

import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.symbols.SsqpKeys;
import io.snupkg.gateway.symbols.SymbolIndex;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * {@link SymbolIndex} in PostgreSQL ({@code ssqp_entry}): a lookup is one primary-key read, no request to the
 * bucket; the PDB is uploaded before its row is inserted, so a row always names a blob that is there, and the
 * first row of a key wins ({@code ON CONFLICT DO NOTHING}): no duplicates when two replicas publish the same push.
 */
public final class PgSymbolIndex implements SymbolIndex {
  private final Database db;
  private final BlobStore blobs;

  public PgSymbolIndex(Database db, BlobStore blobs) {
    this.db = db;
    this.blobs = blobs;
  }

  @Override
  public Future<Optional<Entry>> find(String fileName, String key) {
    return db.query("SELECT blob_key, size, etag FROM ssqp_entry WHERE file_name = $1 AND key = $2",
        Tuple.of(fileName.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT))).map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new Entry(row.getString(0), new BlobStore.Blob(row.getLong(1), row.getString(2))));
        });
  }

  @Override
  public Future<Void> add(String fileName, String key, Path pdb) {
    String blobKey = SsqpKeys.storageKey(fileName, key);
    return find(fileName, key).compose(found -> found.isPresent() ? Future.succeededFuture()
        : blobs.putFileIfAbsent(blobKey, pdb)
            .compose(v -> blobs.stat(blobKey))
            .compose(blob -> blob.isEmpty() ? Future.failedFuture("the PDB " + blobKey + " vanished after its upload")
                : db.query("INSERT INTO ssqp_entry (file_name, key, blob_key, size, etag) VALUES ($1, $2, $3, $4, $5) "
                    + "ON CONFLICT DO NOTHING", Tuple.of(fileName.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT),
                    blobKey, blob.get().size(), blob.get().etag())))
            .mapEmpty());
  }
}
