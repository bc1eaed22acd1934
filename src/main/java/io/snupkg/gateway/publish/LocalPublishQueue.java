package io.snupkg.gateway.publish;

import io.snupkg.gateway.storage.FileSymbolRecords;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * {@link PublishQueue} of one machine. The record files are the source of truth: the queue holds only which id and
 * version to look at, filled by {@link #submit} after each push and, at start, by every record still pending, so
 * work interrupted by a crash or restart resumes. Only this process works on it: no leases.
 */
public final class LocalPublishQueue implements PublishQueue {
  private final Vertx vertx;
  private FileSymbolRecords records;
  /** Ids and versions to look at, each at most once. */
  private final Deque<String[]> ready = new ConcurrentLinkedDeque<>();
  private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
  private volatile Context context;
  private volatile Runnable wake = () -> { };

  public LocalPublishQueue(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The records it reads, which in turn {@link #submit} to it: set once, before the gateway starts. */
  public void records(FileSymbolRecords records) {
    this.records = records;
  }

  @Override
  public void onWork(Runnable wake) {
    this.context = Vertx.currentContext();
    this.wake = wake;
  }

  /** A push became pending (on any event loop): queue it and wake the publisher on its own context. */
  public void submit(String id, String version) {
    add(id, version);
    Context publisher = context;
    if (publisher != null) {
      publisher.runOnContext(v -> wake.run());
    }
  }

  private synchronized void add(String id, String version) {
    if (ready.stream().noneMatch(e -> e[0].equalsIgnoreCase(id) && e[1].equalsIgnoreCase(version))) {
      ready.add(new String[] {id, version});
    }
  }

  @Override
  public Future<Void> start() {
    return records.pending().map(pending -> {
      pending.forEach(r -> add(r.id(), r.version()));
      return null;
    });
  }

  @Override
  public Future<Optional<Job>> claim() {
    String[] next = ready.poll();
    if (next == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return records.record(next[0], next[1]).compose(record -> {
      Optional<Upload> pending = record.flatMap(SymbolPackageRecord::pending);
      if (pending.isEmpty()) {
        return claim(); // published or failed already: a repeated request
      }
      int tries = attempts.merge(next[0] + "/" + next[1], 1, Integer::sum);
      return Future.succeededFuture(Optional.of(new Job(next[0], next[1], pending.get(), tries, null)));
    });
  }

  @Override
  public Future<Void> renew(Job job) {
    return Future.succeededFuture();
  }

  @Override
  public Duration renewEvery() {
    return null;
  }

  @Override
  public Future<Void> retryLater(Job job, Duration after) {
    vertx.setTimer(Math.max(1, after.toMillis()), t -> {
      add(job.id(), job.version());
      wake.run();
    });
    return Future.succeededFuture();
  }

  @Override
  public Future<Finished> finish(Job job, Optional<List<String>> failure, Instant at) {
    attempts.remove(job.id() + "/" + job.version());
    return records.finish(job.id(), job.version(), job.upload(), r -> r.finished(failure, at))
        .map(before -> before.isEmpty() ? new Finished(false, Optional.empty())
            : new Finished(true, before.get().obsoleteWhenFinished(failure)));
  }

  @Override
  public Future<Void> release(List<Job> jobs) {
    return Future.succeededFuture(); // the next start finds them pending in their records
  }
}
