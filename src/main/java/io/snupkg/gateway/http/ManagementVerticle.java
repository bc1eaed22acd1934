package io.snupkg.gateway.http;

import io.snupkg.gateway.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The management server on its own port, so that probes are never queued behind uploads and keep answering
 * while the public server drains. Liveness only says that the event loop answers: a dependency outage must not
 * make Kubernetes restart every pod.
 */
public final class ManagementVerticle extends VerticleBase {
  private final GatewayConfig.Management config;
  private final Readiness readiness;
  private HttpServer server;

  public ManagementVerticle(GatewayConfig.Management config, Readiness readiness) {
    this.config = config;
    this.readiness = readiness;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> status(ctx, true));
    router.get("/health/ready").handler(ctx -> status(ctx, readiness.isReady()));
    server = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
        .requestHandler(router);
    return server.listen();
  }

  public int actualPort() {
    return server.actualPort();
  }

  private static void status(RoutingContext ctx, boolean up) {
    ctx.response().setStatusCode(up ? 200 : 503).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("status", up ? "UP" : "DOWN").encode());
  }
}
