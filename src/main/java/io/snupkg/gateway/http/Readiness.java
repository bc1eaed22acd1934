package io.snupkg.gateway.http;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Whether the gateway should get traffic: once the public server listens and until it drains, and only while
 * every registered check passes (storage writable; in proxy mode the auth service's breaker closed and the feed's
 * service index readable), so that Kubernetes routes pushes away from a pod that could only answer 503.
 */
public final class Readiness {
  private final AtomicBoolean ready = new AtomicBoolean();
  private final List<Map.Entry<String, Supplier<Future<Void>>>> checks = new CopyOnWriteArrayList<>();

  public boolean isReady() {
    return ready.get();
  }

  public void ready() {
    ready.set(true);
  }

  public void draining() {
    ready.set(false);
  }

  /** A check that fails (with a one-line message) while the gateway cannot serve pushes. */
  public void addCheck(String name, Supplier<Future<Void>> check) {
    checks.add(Map.entry(name, check));
  }

  public List<Map.Entry<String, Supplier<Future<Void>>>> checks() {
    return List.copyOf(checks);
  }
}
