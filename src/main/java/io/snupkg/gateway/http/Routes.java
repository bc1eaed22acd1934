package io.snupkg.gateway.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** The route handlers of the public server, built once by the composition root and shared by every event loop. */
public record Routes(
    Handler<RoutingContext> serviceIndex,
    Handler<RoutingContext> packagePush,
    Handler<RoutingContext> symbolPush,
    Handler<RoutingContext> flatContainerIndex,
    Handler<RoutingContext> nupkgDownload,
    Handler<RoutingContext> symbolDownload,
    Handler<RoutingContext> symbolPackage,
    Handler<RoutingContext> symbolPackageStatus) {}
