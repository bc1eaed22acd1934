package io.snupkg.gateway.feed;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A feed that indexes asynchronously (Artifactory takes up to ~30 s, nuget.org minutes) answers "not there" for a
 * while after a nupkg was pushed. So a missing parent is looked for again, with a growing pause, until
 * {@code wait} has passed; only then is it missing. Failures (503) are not retried: they are answered at once.
 */
public final class WaitingFeed implements PackageFeed {
  static final Duration FIRST_PAUSE = Duration.ofMillis(250);
  static final Duration LONGEST_PAUSE = Duration.ofSeconds(4);

  private final Vertx vertx;
  private final PackageFeed feed;
  private final Duration wait;

  public WaitingFeed(Vertx vertx, PackageFeed feed, Duration wait) {
    this.vertx = vertx;
    this.feed = feed;
    this.wait = wait;
  }

  @Override
  public Future<Boolean> contains(String id, String normalizedVersion) {
    Promise<Boolean> result = Promise.promise();
    attempt(id, normalizedVersion, System.nanoTime() + wait.toNanos(), FIRST_PAUSE, result);
    return result.future();
  }

  private void attempt(String id, String version, long deadline, Duration pause, Promise<Boolean> result) {
    feed.contains(id, version).onComplete(ar -> {
      long left = deadline - System.nanoTime();
      if (ar.failed() || ar.result() || left <= 0) {
        result.handle(ar);
        return;
      }
      long delay = Math.max(1, Math.min(pause.toNanos(), left) / 1_000_000);
      Duration next = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
      vertx.setTimer(delay, t -> attempt(id, version, deadline, next, result));
    });
  }

  @Override
  public Future<Void> download(String id, String normalizedVersion, Path target) {
    return feed.download(id, normalizedVersion, target);
  }
}
