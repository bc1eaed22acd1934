package io.snupkg.gateway.feed;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.validation.NuGetVersion;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The embedded feed ({@code feed.type: local}): nupkgs in the blob store under the flat-container layout,
 * {@code feed/{id}/{version}/{id}.{version}.nupkg}, lowercased, normalized version. Folder names are the
 * index; there is no database to drift from the files.
 */
public final class LocalFolderFeed implements PackageFeed {
  private final Vertx vertx;
  private final BlobStore store;

  public LocalFolderFeed(Vertx vertx, BlobStore store) {
    this.vertx = vertx;
    this.store = store;
  }

  @Override
  public Future<Boolean> contains(String id, String normalizedVersion) {
    return store.exists(nupkgKey(id, normalizedVersion));
  }

  @Override
  public Future<Void> download(String id, String normalizedVersion, Path target) {
    return nupkg(id, normalizedVersion).compose(file -> file.isPresent()
        ? vertx.executeBlocking(() -> linkOrCopy(file.get(), target), false)
        : Future.failedFuture(Rejection.notFound("The package " + id + " " + normalizedVersion + " is not in the feed")));
  }

  /**
   * A hard link when the target is on the feed's file system (the publisher's work folder is, by default): no
   * copy of the nupkg per symbol push. Stored nupkgs are never written in place, so the link cannot change.
   */
  private static Void linkOrCopy(Path source, Path target) throws java.io.IOException {
    try {
      Files.createLink(target, source);
    } catch (java.io.IOException | UnsupportedOperationException e) {
      Files.copy(source, target);
    }
    return null;
  }

  /** Moves a validated nupkg into the feed. The caller has checked that the version is new. */
  public Future<Void> add(String id, String normalizedVersion, Path spoolFile) {
    return store.putFile(nupkgKey(id, normalizedVersion), spoolFile);
  }

  /** The versions of an id, lowercased and normalized, in NuGet order; empty if the id is unknown. */
  public Future<List<String>> versions(String id) {
    return store.children("feed/" + PackageId.lower(id)).compose(names -> {
      List<Future<Boolean>> present = names.stream().map(v -> store.exists(nupkgKey(id, v))).toList();
      return Future.all(present).map(all -> {
        List<NuGetVersion> versions = new java.util.ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
          if (Boolean.TRUE.equals(all.resultAt(i))) {
            NuGetVersion.parse(names.get(i)).ifPresent(versions::add);
          }
        }
        return NuGetVersion.sorted(versions).stream().map(NuGetVersion::lowerNormalized).toList();
      });
    });
  }

  public Future<Optional<Path>> nupkg(String id, String normalizedVersion) {
    return store.file(nupkgKey(id, normalizedVersion));
  }

  static String nupkgKey(String id, String normalizedVersion) {
    String lowerId = PackageId.lower(id);
    String lowerVersion = normalizedVersion.toLowerCase(Locale.ROOT);
    return "feed/" + lowerId + "/" + lowerVersion + "/" + lowerId + "." + lowerVersion + ".nupkg";
  }
}
