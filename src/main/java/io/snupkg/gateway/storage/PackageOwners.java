package io.snupkg.gateway.storage;

import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.Optional;

/**
 * Who owns a package id: the first subject to push it. Another subject pushing the same id (package or symbols)
 * is refused, as a feed refuses a name that already exists. One small object per id under {@code owners/}; the
 * first claim wins atomically.
 */
public final class PackageOwners {
  private final BlobStore store;

  public PackageOwners(BlobStore store) {
    this.store = store;
  }

  public Future<Optional<String>> owner(String id) {
    return store.getBytes(key(id)).map(b -> b.map(Buffer::toString));
  }

  /** Makes {@code subject} the owner unless the id has one; returns the owner after the call. */
  public Future<String> claim(String id, String subject) {
    return store.putBytesIfAbsent(key(id), Buffer.buffer(subject))
        .compose(created -> created ? Future.succeededFuture(subject)
            : owner(id).map(o -> o.orElse(subject)));
  }

  private static String key(String id) {
    return "owners/" + PackageId.lower(id);
  }
}
