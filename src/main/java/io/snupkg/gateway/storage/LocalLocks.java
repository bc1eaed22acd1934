package io.snupkg.gateway.storage;

import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The filesystem backend's serialization of decisions on one id and version: a lock of this process (across its
 * event loops), taken with a bounded wait. The database backend decides in transactions instead.
 */
public final class LocalLocks {
  private static final long LOCK_TIMEOUT_MS = 30_000;

  private LocalLocks() {}

  public static <T> Future<T> exclusively(Vertx vertx, String area, String id, String version, Supplier<Future<T>> block) {
    return vertx.sharedData().getLocalLockWithTimeout((area + "/" + id + "/" + version).toLowerCase(Locale.ROOT),
            LOCK_TIMEOUT_MS)
        .recover(err -> Future.failedFuture(Rejection.unavailable(
            "Another push of the same package is still in progress; retry later", Duration.ofSeconds(5))))
        .compose(lock -> {
          Future<T> result;
          try {
            result = block.get();
          } catch (RuntimeException e) {
            result = Future.failedFuture(e);
          }
          return result.andThen(ar -> lock.release());
        });
  }
}
