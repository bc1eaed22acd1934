package io.snupkg.gateway.feed;

import io.vertx.core.Future;

/** The NuGet feed the gateway stands in front of: where a symbol package's parent nupkg must exist. */
public interface PackageFeed {

  /**
   * Does the feed have a nupkg with this id (any case) and normalized version? Fails with a {@code Rejection}
   * (503) when the feed cannot be asked; never answers "no" for "could not tell".
   */
  Future<Boolean> contains(String id, String normalizedVersion);

  /**
   * A lookup of the parent: found or not, and how long the feed took to list it when it did not at first (a feed
   * that indexes asynchronously); {@code Duration.ZERO} when it was there at once.
   */
  record Lookup(boolean found, java.time.Duration lagged) {}

  default Future<Lookup> lookup(String id, String normalizedVersion) {
    return contains(id, normalizedVersion).map(found -> new Lookup(found, java.time.Duration.ZERO));
  }

  /**
   * Copies the nupkg into {@code target}, streamed, never held in memory. Fails with a {@code Rejection} (404 when
   * the feed has no such package, 503 when it cannot be asked).
   */
  Future<Void> download(String id, String normalizedVersion, java.nio.file.Path target);
}
