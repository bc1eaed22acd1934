package io.snupkg.gateway.testing;

import io.vertx.core.Vertx;
import java.nio.file.Path;

/**
 * Proxy mode's surroundings: the stand-in auth service and V3 feed on a Vert.x of their own (so that a gateway's
 * event loops and theirs never wait on each other), and gateways configured with {@code auth.type: upstream} and
 * {@code feed.type: upstream} in front of them.
 */
public final class ProxyStand implements AutoCloseable {
  public final Vertx vertx = Vertx.vertx();
  public final TestAuthService auth = TestAuthService.start(vertx);
  public final TestV3Feed feed = TestV3Feed.start(vertx);

  /** A gateway in front of both stand-ins; add lines for the rest. */
  public GatewayFixture.Builder gateway(Path dir) {
    return GatewayFixture.builder(dir)
        .yaml("auth", "type: upstream").yaml("auth", "url: " + auth.url())
        .yaml("feed", "type: upstream").yaml("feed", "url: " + feed.serviceIndexUrl());
  }

  /** Back to answering normally, listening, counters zeroed: for @AfterEach, after a test that broke them. */
  public void heal() {
    auth.mode(TestAuthService.Mode.NORMAL).cacheSeconds(60).up().reset();
    feed.mode(TestV3Feed.Mode.NORMAL).indexDelay(java.time.Duration.ZERO).warning(null).up().reset();
  }

  @Override
  public void close() {
    try {
      auth.close();
      feed.close();
    } finally {
      vertx.close().await();
    }
  }
}
