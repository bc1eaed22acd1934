package io.snupkg.gateway.feed;

import io.vertx.core.Future;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which versions the local feed has: folder names on one machine ({@link FileFeedIndex}), rows in the database
 * with several replicas. The nupkgs themselves are blobs.
 */
public interface FeedIndex {

  Future<Boolean> contains(String id, String normalizedVersion);

  /** The versions of an id as stored (normalized, lowercased), in no particular order; empty if unknown. */
  Future<List<String>> versions(String id);

  /**
   * Adds a version unless it exists (409, as nuget.org never lets a version be overwritten) or, with
   * {@code claimOwner}, the id belongs to another subject (403). {@code storeBlob} stores the nupkg once the
   * decision is won, before the version becomes visible.
   */
  Future<Void> add(String id, String normalizedVersion, String subject, boolean claimOwner,
      Supplier<Future<Void>> storeBlob);
}
