package io.snupkg.gateway.storage;

import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Stored symbol packages: {@code symbols/{id}/{version}/{sha512}.snupkg} and, beside it, {@code record.json}.
 * Naming the file by its hash lets a newer push sit next to the one being served until it replaces it.
 */
public final class SymbolPackageStore {
  private final BlobStore store;

  public SymbolPackageStore(BlobStore store) {
    this.store = store;
  }

  public Future<Optional<SymbolPackageRecord>> record(String id, String normalizedVersion) {
    return store.getBytes(dir(id, normalizedVersion) + "/record.json")
        .map(b -> b.map(buf -> SymbolPackageRecord.fromJson(new JsonObject(buf))));
  }

  /** Moves the snupkg in, then writes its record: a record never points at a file that is not there. */
  public Future<Void> commit(SymbolPackageRecord record, String sha512, Path spoolFile) {
    String dir = dir(record.id(), record.version());
    return store.putFile(dir + "/" + sha512 + ".snupkg", spoolFile).compose(v -> save(record));
  }

  public Future<Void> save(SymbolPackageRecord record) {
    return store.putBytes(dir(record.id(), record.version()) + "/record.json", record.toJson().toBuffer());
  }

  /** The stored snupkg with this hash, if it is there. */
  public Future<Optional<Path>> snupkg(String id, String normalizedVersion, String sha512) {
    return store.file(dir(id, normalizedVersion) + "/" + sha512 + ".snupkg");
  }

  public Future<Void> deleteSnupkg(String id, String normalizedVersion, String sha512) {
    return store.delete(dir(id, normalizedVersion) + "/" + sha512 + ".snupkg");
  }

  /** Every record (for resuming work after a restart); read on a worker or at start only. */
  public Future<java.util.List<SymbolPackageRecord>> all() {
    return store.children("symbols").compose(ids -> Future.all(ids.stream()
        .map(id -> store.children("symbols/" + id).compose(versions -> Future.all(versions.stream()
            .map(v -> store.getBytes("symbols/" + id + "/" + v + "/record.json")).toList())))
        .toList()))
        .map(all -> {
          java.util.List<SymbolPackageRecord> records = new java.util.ArrayList<>();
          for (int i = 0; i < all.size(); i++) {
            io.vertx.core.CompositeFuture perId = all.resultAt(i);
            for (int k = 0; k < perId.size(); k++) {
              Optional<io.vertx.core.buffer.Buffer> bytes = perId.resultAt(k);
              bytes.ifPresent(b -> records.add(SymbolPackageRecord.fromJson(new JsonObject(b))));
            }
          }
          return records;
        });
  }

  private static String dir(String id, String normalizedVersion) {
    return "symbols/" + PackageId.lower(id) + "/" + normalizedVersion.toLowerCase(Locale.ROOT);
  }
}
