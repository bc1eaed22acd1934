package io.snupkg.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * {@code GET /v3/index.json}: the NuGet V3 service index. The client needs {@code PackagePublish/2.0.0} even to
 * push a lone .snupkg (without it nuget.exe refuses to push at all), and finds the symbol endpoint through
 * {@code SymbolPackagePublish/4.9.0}. The version must be three-part SemVer with major 3.
 */
public final class ServiceIndexHandler implements Handler<RoutingContext> {
  private final BaseUrl baseUrl;
  private final Function<String, Future<String>> packageBaseAddress;

  /**
   * @param packageBaseAddress from this gateway's base URL to where packages are downloaded: the local feed's
   *     flat container, or the upstream feed's (which fails with a 503 Rejection when the feed cannot be asked)
   */
  public ServiceIndexHandler(BaseUrl baseUrl, Function<String, Future<String>> packageBaseAddress) {
    this.baseUrl = baseUrl;
    this.packageBaseAddress = packageBaseAddress;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String base = baseUrl.of(ctx.request());
    packageBaseAddress.apply(base).onComplete(ar -> {
      if (ar.failed()) {
        ErrorResponder.send(ctx.response(), ar.cause() instanceof Rejection r ? r
            : Rejection.unavailable("The upstream feed is unavailable; retry later", java.time.Duration.ofSeconds(10)));
        return;
      }
      JsonArray resources = new JsonArray()
          .add(resource(base + "/api/v2/package", "PackagePublish/2.0.0", "Push packages (.nupkg)."))
          .add(resource(base + "/api/v2/symbolpackage", "SymbolPackagePublish/4.9.0",
              "Push symbol packages (.snupkg)."))
          .add(resource(ar.result(), "PackageBaseAddress/3.0.0", "Download packages (.nupkg)."));
      JsonObject index = new JsonObject().put("version", "3.0.0").put("resources", resources);
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(index.encodePrettily());
    });
  }

  private static JsonObject resource(String id, String type, String comment) {
    return new JsonObject().put("@id", id).put("@type", type).put("comment", comment);
  }
}
