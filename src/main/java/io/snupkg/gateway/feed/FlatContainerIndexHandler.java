package io.snupkg.gateway.feed;

import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.BlobDownload;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /v3/flatcontainer/{id}/index.json}: the versions of an id in the local feed; 404 for an unknown id. */
public final class FlatContainerIndexHandler implements Handler<RoutingContext> {
  private final LocalFolderFeed feed;

  public FlatContainerIndexHandler(LocalFolderFeed feed) {
    this.feed = feed;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    feed.versions(id).onComplete(ar -> {
      if (ar.failed()) {
        BlobDownload.failed(ctx, ar.cause());
      } else if (ar.result().isEmpty()) {
        ErrorResponder.send(ctx.response(), Rejection.notFound("No package with ID '" + id + "' in this feed"));
      } else {
        JsonObject body = new JsonObject().put("versions", new JsonArray(ar.result()));
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
      }
    });
  }
}
