package io.snupkg.gateway.http;

import io.snupkg.gateway.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public server, on an event loop (one instance per loop, sharing the port). No {@code BodyHandler} is
 * mounted anywhere: upload routes read their bodies as streams, and a BodyHandler would answer
 * {@code 100 Continue} and buffer before admission could refuse.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

  private final GatewayConfig.Http config;
  private final Duration drainTimeout;
  private final Routes routes;
  private final BaseUrl baseUrl;
  private HttpServer server;

  public HttpVerticle(GatewayConfig.Http config, Duration drainTimeout, Routes routes) {
    this.config = config;
    this.drainTimeout = drainTimeout;
    this.routes = routes;
    this.baseUrl = new BaseUrl(config.publicBaseUrl());
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setIdleTimeout((int) Math.max(1, config.idleTimeout().toSeconds()))
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setHandle100ContinueAutomatically(false)
        // No HTTP/2 over cleartext (no NuGet client speaks it): its preface detector would hold a new connection's
        // first bytes before the HTTP/1.x pipeline, and with it the head deadline, is in place.
        .setHttp2ClearTextEnabled(false)
        // Body pieces of 16 KiB instead of Netty's 8: half the events and spool writes per upload, though B1 of
        // bench/ measured the same CPU per GB at 8, 16 and 64 KiB. Not larger: Vert.x's queues count pieces, not
        // bytes, so a paused upload buffers more (at 64 KiB a refused chunked upload had read 2.5 MiB past the
        // limit when its 413 went out; at 16 KiB 1.0-1.5 MiB).
        .setMaxChunkSize(16 * 1024)
        // NuGet sends one part; a little slack for other clients, and room for long part headers.
        .setMaxFormFields(16)
        .setMaxFormBufferedBytes(16 * 1024);
    server = vertx.createHttpServer(options)
        .connectionHandler(connection -> HeadDeadline.install(connection, config.headerTimeout()))
        .requestHandler(router());
    return server.listen().onSuccess(s -> LOG.debug("Public server listening on {}:{}", config.host(), s.actualPort()));
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** Lets requests in flight finish (up to the drain timeout) instead of cutting them, as undeploy would. */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds());
    router.get("/").handler(this::home);
    router.route(HttpMethod.GET, "/v3/index.json").handler(routes.serviceIndex());
    router.route(HttpMethod.HEAD, "/v3/index.json").handler(routes.serviceIndex());
    router.put("/api/v2/package").handler(routes.packagePush());
    router.put("/api/v2/package/").handler(routes.packagePush());
    router.put("/api/v2/symbolpackage").handler(routes.symbolPush());
    router.put("/api/v2/symbolpackage/").handler(routes.symbolPush());
    for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD}) {
      router.route(method, "/v3/flatcontainer/:id/index.json").handler(routes.flatContainerIndex());
      router.route(method, "/v3/flatcontainer/:id/:version/:file").handler(routes.nupkgDownload());
      router.route(method, "/download/symbols/:file/:key/:file2").handler(routes.symbolDownload());
      router.route(method, "/api/v2/symbolpackage/:id/:version").handler(routes.symbolPackage());
      router.route(method, "/api/v2/symbolpackage/:id/:version/status").handler(routes.symbolPackageStatus());
    }
    router.errorHandler(404, ctx -> reject(ctx, Rejection.notFound("No such resource: " + ctx.request().path())));
    router.errorHandler(405, ctx -> reject(ctx, Rejection.methodNotAllowed(ctx.request().method().name())));
    router.errorHandler(500, ctx -> {
      if (ctx.failure() instanceof Rejection r) { // a dependency's answer (the database is down, say): not a bug
        reject(ctx, r);
        return;
      }
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
      reject(ctx, Rejection.internal());
    });
    return router;
  }

  /** The base URL answers with where to point a client, instead of a bare 404. */
  private void home(RoutingContext ctx) {
    String base = baseUrl.of(ctx.request());
    JsonObject body = new JsonObject()
        .put("name", "snupkg-gateway")
        .put("serviceIndex", base + "/v3/index.json")
        .put("push", "nuget push X.nupkg -Source " + base + "/v3/index.json -ApiKey KEY");
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encodePrettily());
  }

  private void reject(RoutingContext ctx, Rejection rejection) {
    if (!ctx.response().ended() && !ctx.response().headWritten()) {
      ErrorResponder.send(ctx.response(), rejection, config.maxRetryAfter());
    }
  }
}
