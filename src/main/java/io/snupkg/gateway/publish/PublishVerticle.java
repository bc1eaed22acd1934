package io.snupkg.gateway.publish;

import io.snupkg.gateway.feed.PackageFeed;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.PublishResult;
import io.snupkg.gateway.push.UploadPipeline;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.snupkg.gateway.storage.SymbolPackageStore;
import io.snupkg.gateway.symbols.SsqpKeys;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes pending symbol packages in the background: fetch the parent nupkg from the feed, match every PDB
 * against its DLL ({@link SymbolMatcher}, blocking, so in {@code executeBlocking}, off the event loop), and then
 * either index the PDBs for SSQP and make the push the available one, or fail it with the matcher's reasons.
 *
 * <p>The record on disk is the source of truth: requests come from pushes and, at start, from every record still
 * pending (so work interrupted by a crash or restart resumes). A feed that cannot be asked is retried with a
 * growing pause; a push still pending after {@code publishDeadline} fails with a reason, so none stays pending
 * forever.
 */
public final class PublishVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(PublishVerticle.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration LONGEST_RETRY = Duration.ofMinutes(5);
  private static final long LOCK_TIMEOUT_MS = 30_000;

  private final SymbolPackageStore symbols;
  private final PackageFeed feed;
  private final BlobStore store;
  private final Path workDir;
  private final SymbolMatcher matcher;
  private final Duration deadline;
  private final Clock clock;
  private final GatewayMetrics metrics;
  /** Set when undeployed: work that completes afterwards schedules nothing on a closing Vert.x. */
  private volatile boolean stopped;
  /** Attempts under way, so that stopping can let them finish before Vert.x closes under them. */
  private final java.util.Set<Future<?>> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public PublishVerticle(SymbolPackageStore symbols, PackageFeed feed, BlobStore store, Path workDir,
      SymbolMatcher matcher, Duration deadline, Clock clock, GatewayMetrics metrics) {
    this.metrics = metrics;
    this.symbols = symbols;
    this.feed = feed;
    this.store = store;
    this.workDir = workDir;
    this.matcher = matcher;
    this.deadline = deadline;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    // Work directories of a run that crashed are of no use: start clean.
    return vertx.fileSystem().deleteRecursive(workDir.toString()).recover(err -> Future.succeededFuture())
        .compose(v -> vertx.fileSystem().mkdirs(workDir.toString()))
        .compose(v -> vertx.eventBus().<JsonObject>consumer(PublishRequests.ADDRESS, this::onRequest).completion())
        .onSuccess(v -> resume());
  }

  /** Lets attempts under way finish (a few seconds at most): the next start resumes whatever is left pending. */
  @Override
  public Future<?> stop() {
    stopped = true;
    return Future.join(List.copyOf(inFlight)).timeout(5, java.util.concurrent.TimeUnit.SECONDS)
        .recover(err -> Future.succeededFuture());
  }

  /** Every record still pending at start: work a crash or restart interrupted. */
  private void resume() {
    symbols.all().onSuccess(records -> records.stream().filter(r -> r.pending().isPresent())
        .forEach(r -> publish(r.id(), r.version(), FIRST_RETRY)))
        .onFailure(err -> LOG.error("Cannot list symbol records to resume publishing: {}", err.toString()));
  }

  private void onRequest(Message<JsonObject> message) {
    publish(message.body().getString("id"), message.body().getString("version"), FIRST_RETRY);
  }

  private void publish(String id, String version, Duration nextRetry) {
    if (stopped) {
      return; // the next start resumes it
    }
    symbols.record(id, version).onSuccess(record -> {
      Optional<Upload> pending = record.flatMap(SymbolPackageRecord::pending);
      if (pending.isEmpty()) {
        return; // published or failed already: a repeated request
      }
      Upload upload = pending.get();
      if (clock.instant().isAfter(upload.pushedAt().plus(deadline))) {
        finish(id, version, upload, Optional.of(List.of("The symbol package was not published within "
            + (deadline.toSeconds() < 120 ? deadline.toSeconds() + " seconds" : deadline.toMinutes() + " minutes")
            + " of its push (the package's DLLs could not be fetched from the feed)")));
        return;
      }
      Future<Void> work = attempt(id, version, upload).transform(ar -> {
        if (ar.succeeded()) {
          return finish(id, version, upload, ar.result());
        }
        if (ar.cause() instanceof Rejection r && r.status() == 404) {
          return finish(id, version, upload, Optional.of(List.of("The package " + id + " " + version
              + " is no longer in the feed, so its DLLs cannot be matched")));
        }
        LOG.warn("Publishing {} {} failed for now ({}); retrying in {} s", id, version,
            ar.cause().getMessage(), nextRetry.toSeconds());
        Duration after = nextRetry.multipliedBy(2).compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY
            : nextRetry.multipliedBy(2);
        if (!stopped) {
          vertx.setTimer(nextRetry.toMillis(), t -> publish(id, version, after));
        }
        return Future.succeededFuture();
      });
      inFlight.add(work);
      work.onComplete(x -> inFlight.remove(work));
    });
  }

  /** Matches and indexes; empty on success, or the reasons the push fails. Fails only for retryable trouble. */
  private Future<Optional<List<String>>> attempt(String id, String version, Upload upload) {
    Path dir = workDir.resolve("publish-" + UUID.randomUUID());
    Path nupkg = dir.resolve("parent.nupkg");
    return vertx.fileSystem().mkdirs(dir.toString())
        .compose(v -> feed.download(id, version, nupkg))
        .compose(v -> symbols.snupkg(id, version, upload.sha512()))
        .compose(snupkg -> snupkg.isPresent() ? Future.succeededFuture(snupkg.get())
            : Future.failedFuture(new IllegalStateException("the stored snupkg " + upload.sha512() + " is missing")))
        .compose(snupkg -> vertx.executeBlocking(() -> matcher.match(snupkg, nupkg, dir)))
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

  /** Each PDB under its SSQP key; a key already stored holds the same PDB (the key is its id), so it is kept. */
  private Future<SymbolMatcher.Result> index(SymbolMatcher.Result result) {
    Future<Void> all = Future.succeededFuture();
    for (SymbolMatcher.Matched pdb : result.pdbs()) {
      String key = SsqpKeys.storageKey(pdb.fileName(), pdb.ssqpKey());
      all = all.compose(v -> store.putFileIfAbsent(key, pdb.file())).mapEmpty();
    }
    return all.map(result);
  }

  private Future<Void> finish(String id, String version, Upload upload, Optional<List<String>> failure) {
    Function<SymbolPackageRecord, SymbolPackageRecord> change = failure.isEmpty()
        ? SymbolPackageRecord::published
        : r -> r.failed(failure.get(), clock.instant());
    return vertx.sharedData().getLocalLockWithTimeout(UploadPipeline.lockName("symbols", id, version),
            LOCK_TIMEOUT_MS)
        .compose(lock -> symbols.record(id, version)
            .compose(record -> {
              if (record.isEmpty() || !record.get().pending().map(upload::equals).orElse(false)) {
                return Future.<Void>succeededFuture(); // someone finished it meanwhile
              }
              // The snupkg no longer needed: the failed one, or the one the published push replaces.
              Optional<String> obsolete = failure.isPresent() ? Optional.of(upload.sha512())
                  : record.get().available().map(Upload::sha512).filter(sha -> !sha.equals(upload.sha512()));
              return symbols.save(change.apply(record.get()))
                  .onSuccess(v -> metrics.published(failure.isEmpty() ? PublishResult.AVAILABLE
                      : PublishResult.FAILED))
                  .compose(v -> obsolete.map(sha -> symbols.deleteSnupkg(id, version, sha))
                      .orElse(Future.succeededFuture()));
            })
            .andThen(ar -> lock.release()))
        .onSuccess(v -> LOG.info("Symbols {} {}: {}", id, version,
            failure.map(r -> "failed: " + String.join("; ", r)).orElse("available")))
        .onFailure(err -> LOG.error("Cannot record the outcome for {} {}: {}", id, version, err.toString()));
  }
}
