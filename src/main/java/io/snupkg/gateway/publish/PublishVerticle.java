package io.snupkg.gateway.publish;

import io.snupkg.gateway.feed.PackageFeed;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.PublishResult;
import io.snupkg.gateway.publish.PublishQueue.Job;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.SymbolPushRule;
import io.snupkg.gateway.symbols.SymbolIndex;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes pending symbol packages in the background: claim a job from the {@link PublishQueue}, fetch the parent
 * nupkg from the feed, match every PDB against its DLL ({@link SymbolMatcher}, blocking, so in
 * {@code executeBlocking}, off the event loop), and then either index the PDBs for SSQP and make the push the
 * available one, or fail it with the matcher's reasons.
 *
 * <p>A feed that cannot be asked is retried with a growing pause; a push still pending after
 * {@code publishDeadline} fails with a reason, so none stays pending forever. Matching and indexing may run twice
 * for one push (a lease taken over from a replica that froze): both are idempotent, and the queue records one
 * outcome only.
 */
public final class PublishVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(PublishVerticle.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration LONGEST_RETRY = Duration.ofMinutes(5);
  /** Publications this replica works on at once: each is mostly waiting for the feed and the store. */
  private static final int CONCURRENCY = 4;

  private final PublishQueue queue;
  private final PackageFeed feed;
  private final BlobStore blobs;
  private final SymbolIndex index;
  private final Path workDir;
  private final SymbolMatcher matcher;
  private final Duration deadline;
  private final Duration pollEvery;
  private final Clock clock;
  private final GatewayMetrics metrics;
  /** Set when undeployed: work that completes afterwards claims nothing more. */
  private volatile boolean stopped;
  private boolean claiming;
  private long pollTimer = -1;
  /** Jobs under way, so that stopping can let them finish (or give them back) before Vert.x closes. */
  private final Map<Job, Future<Void>> inFlight = new ConcurrentHashMap<>();

  /** @param pollEvery how often the queue is asked for work that other replicas (or retries) made ready */
  public PublishVerticle(PublishQueue queue, PackageFeed feed, BlobStore blobs, SymbolIndex index, Path workDir,
      SymbolMatcher matcher, Duration deadline, Duration pollEvery, Clock clock, GatewayMetrics metrics) {
    this.queue = queue;
    this.feed = feed;
    this.blobs = blobs;
    this.index = index;
    this.workDir = workDir;
    this.matcher = matcher;
    this.deadline = deadline;
    this.pollEvery = pollEvery;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    queue.onWork(this::pump);
    // Work folders of a run that crashed are of no use: start clean. They are this replica's own.
    return vertx.fileSystem().deleteRecursive(workDir.toString()).recover(err -> Future.succeededFuture())
        .compose(v -> vertx.fileSystem().mkdirs(workDir.toString()))
        .compose(v -> queue.start())
        .onSuccess(v -> {
          pollTimer = vertx.setPeriodic(pollEvery.toMillis(), t -> pump());
          pump();
        });
  }

  /**
   * Lets jobs under way finish (a few seconds at most), then gives back what is left, so another replica (or the
   * next start) takes it up without waiting for a lease to expire.
   */
  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(pollTimer);
    return Future.join(List.copyOf(inFlight.values())).timeout(5, TimeUnit.SECONDS).<Void>mapEmpty()
        .recover(err -> queue.release(List.copyOf(inFlight.keySet())))
        .recover(err -> Future.succeededFuture());
  }

  /** Claims jobs while there is room; one claim at a time, so an idle replica asks the queue once per poll. */
  private void pump() {
    if (stopped || claiming || inFlight.size() >= CONCURRENCY) {
      return;
    }
    claiming = true;
    queue.claim().onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        LOG.warn("Cannot claim symbol packages to publish: {}", ar.cause().getMessage());
      } else if (ar.result().isPresent()) {
        work(ar.result().get());
        pump();
      }
    });
  }

  private void work(Job job) {
    long heartbeat = queue.renewEvery() == null ? -1 : vertx.setPeriodic(queue.renewEvery().toMillis(),
        t -> queue.renew(job).onFailure(err -> LOG.warn("Publishing {} {}: the lease was lost ({}); another replica "
            + "has taken it over", job.id(), job.version(), err.getMessage())));
    Future<Void> done;
    if (clock.instant().isAfter(job.upload().pushedAt().plus(deadline))) {
      done = finish(job, Optional.of(List.of("The symbol package was not published within "
          + (deadline.toSeconds() < 120 ? deadline.toSeconds() + " seconds" : deadline.toMinutes() + " minutes")
          + " of its push (the package's DLLs could not be fetched from the feed)")));
    } else {
      done = attempt(job).transform(ar -> {
        if (ar.succeeded()) {
          return finish(job, ar.result());
        }
        if (ar.cause() instanceof Rejection r && r.status() == 404) {
          return finish(job, Optional.of(List.of("The package " + job.id() + " " + job.version()
              + " is no longer in the feed, so its DLLs cannot be matched")));
        }
        Duration after = backoff(job.attempts());
        LOG.warn("Publishing {} {} failed for now ({}); retrying in {} s", job.id(), job.version(),
            ar.cause().getMessage(), after.toSeconds());
        return queue.retryLater(job, after);
      });
    }
    Future<Void> tracked = done.recover(err -> {
      if (stopped) { // the store closed under it at shutdown: the job stays queued for the next start or replica
        LOG.info("Publishing {} {} stopped by the shutdown; it resumes later", job.id(), job.version());
      } else {
        LOG.error("Cannot record the outcome for {} {}: {}", job.id(), job.version(), err.getMessage());
      }
      return Future.succeededFuture();
    });
    inFlight.put(job, tracked);
    tracked.onComplete(x -> {
      vertx.cancelTimer(heartbeat);
      inFlight.remove(job);
      pump();
    });
  }

  /** 5 s after the first failure, doubling, at most 5 minutes. */
  private static Duration backoff(int attempts) {
    Duration after = FIRST_RETRY;
    for (int i = 1; i < attempts && after.compareTo(LONGEST_RETRY) < 0; i++) {
      after = after.multipliedBy(2);
    }
    return after.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : after;
  }

  /** Matches and indexes; empty on success, or the reasons the push fails. Fails only for retryable trouble. */
  private Future<Optional<List<String>>> attempt(Job job) {
    Path dir = workDir.resolve("publish-" + UUID.randomUUID());
    Path nupkg = dir.resolve("parent.nupkg");
    Path snupkg = dir.resolve("symbols.snupkg");
    return vertx.fileSystem().mkdirs(dir.toString())
        .compose(v -> feed.download(job.id(), job.version(), nupkg))
        .compose(v -> blobs.copyTo(SymbolPushRule.snupkgKey(job.id(), job.version(), job.upload().sha512()), snupkg))
        .compose(found -> found ? Future.succeededFuture() : Future.failedFuture(
            new IllegalStateException("the stored snupkg " + job.upload().sha512() + " is missing")))
        .compose(v -> vertx.executeBlocking(() -> matcher.match(snupkg, nupkg, dir)))
        .compose(result -> result.matched() ? index(result).map(Optional.<List<String>>empty())
            : Future.succeededFuture(Optional.of(result.reasons())))
        .eventually(() -> removeQuietly(dir));
  }

  /** Never throws: a supplier that throws in {@code eventually} would replace the outcome with an empty success. */
  private Future<Void> removeQuietly(Path dir) {
    try {
      return vertx.fileSystem().deleteRecursive(dir.toString()).recover(err -> Future.succeededFuture());
    } catch (RuntimeException e) {
      return Future.succeededFuture();
    }
  }

  private Future<Void> index(SymbolMatcher.Result result) {
    Future<Void> all = Future.succeededFuture();
    for (SymbolMatcher.Matched pdb : result.pdbs()) {
      all = all.compose(v -> index.add(pdb.fileName(), pdb.ssqpKey(), pdb.file()));
    }
    return all;
  }

  /** The outcome first, then the snupkg it made obsolete: a crash in between leaves an orphan, never a gap. */
  private Future<Void> finish(Job job, Optional<List<String>> failure) {
    return queue.finish(job, failure, clock.instant()).compose(finished -> {
      if (!finished.recorded()) { // the lease went to another replica (this one froze), or a repeated job
        LOG.info("Publishing {} {}: the outcome was recorded elsewhere; this attempt's is dropped", job.id(),
            job.version());
        return Future.succeededFuture();
      }
      metrics.published(failure.isEmpty() ? PublishResult.AVAILABLE : PublishResult.FAILED);
      LOG.info("Symbols {} {}: {}", job.id(), job.version(),
          failure.map(r -> "failed: " + String.join("; ", r)).orElse("available"));
      return finished.obsoleteSha512().map(sha -> blobs.delete(SymbolPushRule.snupkgKey(job.id(), job.version(), sha)))
          .orElse(Future.succeededFuture());
    });
  }
}
