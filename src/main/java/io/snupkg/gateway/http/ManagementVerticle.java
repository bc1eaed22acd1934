package io.snupkg.gateway.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.snupkg.gateway.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The management server on its own port ({@code /health/live}, {@code /health/ready}, {@code /metrics}), so that
 * probes and scrapes are never queued behind uploads and keep answering while the public server drains.
 * Liveness only says that the event loop answers: a dependency outage must not make Kubernetes restart every
 * pod.
 */
public final class ManagementVerticle extends VerticleBase {
  private final GatewayConfig.Management config;
  private final Readiness readiness;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;

  public ManagementVerticle(GatewayConfig.Management config, Readiness readiness, PrometheusMeterRegistry registry) {
    this.config = config;
    this.readiness = readiness;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> status(ctx, true));
    router.get("/health/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    server = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
        .requestHandler(router);
    return server.listen();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** 200 when listening and every check passes within 2 s; else 503 naming what failed. */
  private void ready(RoutingContext ctx) {
    if (!readiness.isReady()) {
      reply(ctx, false, new JsonObject().put("server", "starting or draining"));
      return;
    }
    JsonObject results = new JsonObject();
    List<Future<Void>> all = new ArrayList<>();
    for (Map.Entry<String, Supplier<Future<Void>>> check : readiness.checks()) {
      Future<Void> f;
      try {
        f = check.getValue().get().timeout(2, TimeUnit.SECONDS);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      all.add(f.onComplete(ar -> results.put(check.getKey(), ar.succeeded() ? "UP"
          : "DOWN: " + (ar.cause() instanceof Rejection r ? r.reason() : String.valueOf(ar.cause().getMessage())))));
    }
    Future.join(all).onComplete(ar -> reply(ctx, ar.succeeded(), results));
  }

  private static void reply(RoutingContext ctx, boolean up, JsonObject checks) {
    ctx.response().setStatusCode(up ? 200 : 503).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", checks).encode());
  }

  private static void status(RoutingContext ctx, boolean up) {
    ctx.response().setStatusCode(up ? 200 : 503).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("status", up ? "UP" : "DOWN").encode());
  }
}
