package io.snupkg.gateway.http;

import java.util.concurrent.atomic.AtomicBoolean;

/** Whether the gateway should get traffic: true once the public server listens, false again as soon as it drains. */
public final class Readiness {
  private final AtomicBoolean ready = new AtomicBoolean();

  public boolean isReady() {
    return ready.get();
  }

  public void ready() {
    ready.set(true);
  }

  public void draining() {
    ready.set(false);
  }
}
