package io.snupkg.gateway.storage;

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
}
