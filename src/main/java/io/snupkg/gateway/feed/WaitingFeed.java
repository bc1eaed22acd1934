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
    return lookup(id, normalizedVersion).map(Lookup::found);
  }

  @Override
  public Future<Lookup> lookup(String id, String normalizedVersion) {
    Promise<Lookup> result = Promise.promise();
    long start = System.nanoTime();
    attempt(id, normalizedVersion, start, start + wait.toNanos(), FIRST_PAUSE, result);
    return result.future();
  }

  private void attempt(String id, String version, long start, long deadline, Duration pause, Promise<Lookup> result) {
    feed.contains(id, version).onComplete(ar -> {
      long now = System.nanoTime();
      long left = deadline - now;
      if (ar.failed()) {
        result.fail(ar.cause());
        return;
      }
      if (ar.result() || left <= 0) {
        // Not there at the first look but later: the feed lags, which the push's answer tells the user.
        result.complete(new Lookup(ar.result(), pause.equals(FIRST_PAUSE) ? Duration.ZERO
            : Duration.ofNanos(now - start)));
        return;
      }
      long delay = Math.max(1, Math.min(pause.toNanos(), left) / 1_000_000);
      Duration next = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
      vertx.setTimer(delay, t -> attempt(id, version, start, deadline, next, result));
    });
  }

  @Override
  public Future<Void> download(String id, String normalizedVersion, Path target) {
    return feed.download(id, normalizedVersion, target);
  }
}
