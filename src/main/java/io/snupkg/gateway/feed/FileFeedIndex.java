package io.snupkg.gateway.feed;

import io.snupkg.gateway.storage.FileSystemBlobStore;
import io.snupkg.gateway.storage.LocalLocks;
import io.snupkg.gateway.storage.PackageOwners;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link FeedIndex} of one machine: the folder names under {@code feed/{id}/} are the index, so there is nothing
 * to drift from the files. A version counts once its nupkg is there.
 */
public final class FileFeedIndex implements FeedIndex {
  private final Vertx vertx;
  private final FileSystemBlobStore store;
  private final PackageOwners owners;

  public FileFeedIndex(Vertx vertx, FileSystemBlobStore store, PackageOwners owners) {
    this.vertx = vertx;
    this.store = store;
    this.owners = owners;
  }

  @Override
  public Future<Boolean> contains(String id, String normalizedVersion) {
    return store.exists(LocalFolderFeed.nupkgKey(id, normalizedVersion));
  }

  @Override
  public Future<List<String>> versions(String id) {
    return store.children("feed/" + PackageId.lower(id)).compose(names -> {
      List<Future<Boolean>> present = names.stream().map(v -> contains(id, v)).toList();
      return Future.all(present).map(all -> {
        List<String> versions = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
          if (Boolean.TRUE.equals(all.resultAt(i))) {
            versions.add(names.get(i));
          }
        }
        return versions;
      });
    });
  }

  @Override
  public Future<Void> add(String id, String normalizedVersion, String subject, boolean claimOwner,
      Supplier<Future<Void>> storeBlob) {
    return LocalLocks.exclusively(vertx, "feed", id, normalizedVersion, () -> contains(id, normalizedVersion)
        .compose(exists -> exists ? Future.failedFuture(LocalFolderFeed.versionExists(id, normalizedVersion))
            : claimOwner ? owners.claimOrRefuse(id, subject) : Future.<Void>succeededFuture())
        .compose(v -> storeBlob.get()));
  }
}
