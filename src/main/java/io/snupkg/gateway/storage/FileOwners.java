package io.snupkg.gateway.storage;

import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.Optional;

/** {@link PackageOwners} of one machine: one small file per id under {@code owners/}, created if absent. */
public final class FileOwners implements PackageOwners {
  private final FileSystemBlobStore store;

  public FileOwners(FileSystemBlobStore store) {
    this.store = store;
  }

  @Override
  public Future<Optional<String>> owner(String id) {
    return store.getBytes(key(id)).map(b -> b.map(Buffer::toString));
  }

  @Override
  public Future<String> claim(String id, String subject) {
    return store.putBytesIfAbsent(key(id), Buffer.buffer(subject))
        .compose(created -> created ? Future.succeededFuture(subject)
            : owner(id).map(o -> o.orElse(subject)));
  }

  private static String key(String id) {
    return "owners/" + PackageId.lower(id);
  }
}
