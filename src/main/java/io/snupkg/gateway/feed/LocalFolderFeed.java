package io.snupkg.gateway.feed;

import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.validation.NuGetVersion;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The embedded feed ({@code feed.type: local}): nupkgs in the blob store under the flat-container layout,
 * {@code feed/{id}/{version}/{id}.{version}.nupkg}, lowercased, normalized version, and which versions exist in
 * the {@link FeedIndex} of the backend.
 */
public final class LocalFolderFeed implements PackageFeed {
  private final BlobStore blobs;
  private final FeedIndex index;

  public LocalFolderFeed(BlobStore blobs, FeedIndex index) {
    this.blobs = blobs;
    this.index = index;
  }

  @Override
  public Future<Boolean> contains(String id, String normalizedVersion) {
    return index.contains(id, normalizedVersion);
  }

  @Override
  public Future<Void> download(String id, String normalizedVersion, Path target) {
    return blobs.copyTo(nupkgKey(id, normalizedVersion), target).compose(found -> found ? Future.succeededFuture()
        : Future.failedFuture(Rejection.notFound("The package " + id + " " + normalizedVersion + " is not in the feed")));
  }

  /** Stores a validated nupkg as a new version: 409 if it exists, 403 if another subject owns a new id. */
  public Future<Void> add(String id, String normalizedVersion, String subject, boolean claimOwner, Path spoolFile) {
    String key = nupkgKey(id, normalizedVersion);
    return index.add(id, normalizedVersion, subject, claimOwner, () -> blobs.putFile(key, spoolFile));
  }

  /** The versions of an id, lowercased and normalized, in NuGet order; empty if the id is unknown. */
  public Future<List<String>> versions(String id) {
    return index.versions(id).map(names -> {
      List<NuGetVersion> versions = new ArrayList<>();
      names.forEach(v -> NuGetVersion.parse(v).ifPresent(versions::add));
      return NuGetVersion.sorted(versions).stream().map(NuGetVersion::lowerNormalized).toList();
    });
  }

  /** The stored nupkg of a version the feed has, or empty. */
  public Future<Optional<BlobStore.Blob>> nupkg(String id, String normalizedVersion) {
    return index.contains(id, normalizedVersion).compose(present -> present
        ? blobs.stat(nupkgKey(id, normalizedVersion)) : Future.succeededFuture(Optional.empty()));
  }

  public BlobStore blobs() {
    return blobs;
  }

  /** nuget.org's answer to a version that exists: versions are never overwritten. */
  public static Rejection versionExists(String id, String normalizedVersion) {
    return Rejection.conflict("A package with ID '" + id + "' and version '" + normalizedVersion
        + "' already exists and cannot be modified.");
  }

  public static String nupkgKey(String id, String normalizedVersion) {
    String lowerId = PackageId.lower(id);
    String lowerVersion = normalizedVersion.toLowerCase(Locale.ROOT);
    return "feed/" + lowerId + "/" + lowerVersion + "/" + lowerId + "." + lowerVersion + ".nupkg";
  }
}
