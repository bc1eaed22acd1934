package io.snupkg.gateway.upstream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs at most one call per key at a time: callers that ask while a call is in flight share its result. Callers
 * come from several event loops, so each gets the result back on its own context.
 */
public final class Coalescer<K, V> {
  private final Map<K, Future<V>> inFlight = new ConcurrentHashMap<>();

  public Future<V> call(K key, Supplier<Future<V>> call) {
    Promise<V> mine = Promise.promise();
    Future<V> running = inFlight.putIfAbsent(key, mine.future());
    if (running == null) {
      running = mine.future();
      Future<V> started;
      try {
        started = call.get();
      } catch (RuntimeException e) {
        started = Future.failedFuture(e);
      }
      // Removed before completing, so a caller that sees the result and asks again starts a new call.
      started.onComplete(ar -> {
        inFlight.remove(key, mine.future());
        mine.handle(ar);
      });
    }
    return onCallerContext(running);
  }

  public int inFlight() {
    return inFlight.size();
  }

  private static <V> Future<V> onCallerContext(Future<V> result) {
    Context caller = Vertx.currentContext();
    if (caller == null) {
      return result;
    }
    Promise<V> back = Promise.promise();
    result.onComplete(ar -> {
      if (Vertx.currentContext() == caller) {
        back.handle(ar);
      } else {
        caller.runOnContext(v -> back.handle(ar));
      }
    });
    return back.future();
  }
}
