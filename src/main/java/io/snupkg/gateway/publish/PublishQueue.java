package io.snupkg.gateway.publish;

import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The pending symbol pushes waiting to be published, and the one place where a publication's outcome is recorded.
 * On one machine ({@link LocalPublishQueue}) the queue is in memory, filled by this process's pushes and, at start,
 * by every record still pending. With several replicas it is a table: a job is claimed with a lease that the
 * holder renews, another replica takes it over once the lease expires, and the outcome is recorded only while the
 * lease (its token) is still the holder's, so a replica that froze cannot record a late, second outcome.
 */
public interface PublishQueue {

  /** A claimed publication: the pending upload of one id and version, held by this replica until it ends. */
  record Job(String id, String version, Upload upload, int attempts, Object lease) {}

  /** What {@link #finish} did: whether the outcome was recorded, and the snupkg it made obsolete (to delete). */
  record Finished(boolean recorded, Optional<String> obsoleteSha512) {}

  /**
   * Called by the publisher on its context: {@code wake} runs there whenever this replica queues work, so that a
   * push is published at once rather than at the next poll.
   */
  void onWork(Runnable wake);

  /** Loads what a previous run left (one machine); nothing to do where the queue is shared. */
  Future<Void> start();

  /** The next job this replica may work on, or empty. */
  Future<Optional<Job>> claim();

  /** Extends the job's lease; fails when another replica has taken the job over (stop working on it). */
  Future<Void> renew(Job job);

  /** How often {@link #renew} must be called while working on a job; {@code null} when leases do not expire. */
  Duration renewEvery();

  /** Gives the job back, to be tried again after {@code after} (the feed could not be asked, say). */
  Future<Void> retryLater(Job job, Duration after);

  /**
   * Records the outcome: {@code failure} empty makes the upload the available one, else it failed with these
   * reasons. Recorded only if the job's lease is still held and the upload still pending.
   */
  Future<Finished> finish(Job job, Optional<List<String>> failure, Instant at);

  /** Gives claimed jobs back at shutdown, so that another replica need not wait for their leases to expire. */
  Future<Void> release(List<Job> jobs);
}
