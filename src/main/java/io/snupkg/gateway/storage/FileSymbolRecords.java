package io.snupkg.gateway.storage;

import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link SymbolRecords} of one machine: {@code symbols/{id}/{version}/record.json} beside the snupkgs it names, in
 * the {@link FileSystemBlobStore}. Decisions on one id and version are serialized by a lock of this process, which
 * is why the filesystem backend runs as one replica.
 */
public final class FileSymbolRecords implements SymbolRecords {
  private final Vertx vertx;
  private final FileSystemBlobStore store;
  private final PackageOwners owners;
  private final BiConsumer<String, String> queued;

  /** @param queued told the id and version of each push that became pending (the local publish queue) */
  public FileSymbolRecords(Vertx vertx, FileSystemBlobStore store, PackageOwners owners,
      BiConsumer<String, String> queued) {
    this.vertx = vertx;
    this.store = store;
    this.owners = owners;
    this.queued = queued;
  }

  @Override
  public Future<Optional<SymbolPackageRecord>> record(String id, String normalizedVersion) {
    return store.getBytes(recordKey(id, normalizedVersion))
        .map(b -> b.map(buf -> SymbolPackageRecord.fromJson(new JsonObject(buf))));
  }

  @Override
  public Future<Accepted> accept(Push push, Supplier<Future<Void>> storeBlob) {
    return exclusively(push.id(), push.version(), () -> record(push.id(), push.version()).compose(existing -> {
      SymbolPackageRecord record = existing.orElse(SymbolPackageRecord.empty(push.id(), push.version()));
      return switch (SymbolPushRule.decide(record, push.upload().sha512())) {
        case SAME -> Future.succeededFuture(Accepted.ALREADY_STORED);
        case CONFLICT -> Future.failedFuture(SymbolPushRule.conflict(push.id(), push.version()));
        case NEW -> claimOwner(push)
            .compose(v -> storeBlob.get())
            .compose(v -> save(record.withPending(push.upload())))
            .map(v -> {
              queued.accept(push.id(), push.version());
              return Accepted.PENDING;
            });
      };
    }));
  }

  private Future<Void> claimOwner(Push push) {
    return push.claimOwner() ? owners.claimOrRefuse(push.id(), push.upload().subject()) : Future.succeededFuture();
  }

  /**
   * Applies publishing's outcome if {@code upload} is still the pending push: {@code change} gives the new record.
   * Returns the record before the change, or empty if someone finished it meanwhile.
   */
  public Future<Optional<SymbolPackageRecord>> finish(String id, String version, Upload upload,
      Function<SymbolPackageRecord, SymbolPackageRecord> change) {
    return exclusively(id, version, () -> record(id, version).compose(record -> {
      if (record.isEmpty() || !record.get().pending().map(upload::equals).orElse(false)) {
        return Future.succeededFuture(Optional.<SymbolPackageRecord>empty());
      }
      return save(change.apply(record.get())).map(v -> record);
    }));
  }

  @Override
  public Future<List<SymbolPackageRecord>> pending() {
    return store.children("symbols").compose(ids -> Future.all(ids.stream()
        .map(id -> store.children("symbols/" + id).compose(versions -> Future.all(versions.stream()
            .map(v -> store.getBytes("symbols/" + id + "/" + v + "/record.json")).toList())))
        .toList()))
        .map(all -> {
          List<SymbolPackageRecord> records = new ArrayList<>();
          for (int i = 0; i < all.size(); i++) {
            CompositeFuture perId = all.resultAt(i);
            for (int k = 0; k < perId.size(); k++) {
              Optional<Buffer> bytes = perId.resultAt(k);
              bytes.map(b -> SymbolPackageRecord.fromJson(new JsonObject(b)))
                  .filter(r -> r.pending().isPresent()).ifPresent(records::add);
            }
          }
          return records;
        });
  }

  private Future<Void> save(SymbolPackageRecord record) {
    return store.putBytes(recordKey(record.id(), record.version()), record.toJson().toBuffer());
  }

  private <T> Future<T> exclusively(String id, String version, Supplier<Future<T>> block) {
    return LocalLocks.exclusively(vertx, "symbols", id, version, block);
  }

  private static String recordKey(String id, String normalizedVersion) {
    return "symbols/" + PackageId.lower(id) + "/" + normalizedVersion.toLowerCase(Locale.ROOT) + "/record.json";
  }
}
