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
  public Future<Void> commit(SymbolPackageRecord record, Path spoolFile) {
    String dir = dir(record.id(), record.version());
    return store.putFile(dir + "/" + record.sha512() + ".snupkg", spoolFile)
        .compose(v -> store.putBytes(dir + "/record.json", record.toJson().toBuffer()));
  }

  private static String dir(String id, String normalizedVersion) {
    return "symbols/" + PackageId.lower(id) + "/" + normalizedVersion.toLowerCase(Locale.ROOT);
  }
}
