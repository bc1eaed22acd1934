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
   * Copies the nupkg into {@code target}, streamed, never held in memory. Fails with a {@code Rejection} (404 when
   * the feed has no such package, 503 when it cannot be asked).
   */
  Future<Void> download(String id, String normalizedVersion, java.nio.file.Path target);
}
