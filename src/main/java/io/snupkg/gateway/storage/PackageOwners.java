package io.snupkg.gateway.storage;

import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Who owns a package id: the first subject to push it. Another subject pushing the same id (package or symbols)
 * is refused, as a feed refuses a name that already exists. The first claim wins, atomically.
 */
public interface PackageOwners {

  Future<Optional<String>> owner(String id);

  /** Makes {@code subject} the owner unless the id has one; returns the owner after the call. */
  Future<String> claim(String id, String subject);

  /**
   * Claims the id for {@code subject}, or fails with 403 when another subject owns it, with the same text as a bad
   * key (the seed's name-conflict example).
   */
  default Future<Void> claimOrRefuse(String id, String subject) {
    return claim(id, subject).compose(owner -> owner.equals(subject) ? Future.<Void>succeededFuture()
        : Future.failedFuture(Rejection.forbidden()));
  }
}
