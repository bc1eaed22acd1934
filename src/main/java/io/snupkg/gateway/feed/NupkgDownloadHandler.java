package io.snupkg.gateway.feed;

import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.BlobDownload;
import io.snupkg.gateway.validation.NuGetVersion;
import io.snupkg.gateway.validation.PackageId;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code GET|HEAD /v3/flatcontainer/{id}/{version}/{id}.{version}.nupkg}: a nupkg of the local feed, streamed
 * from the blob store (or redirected to it). Any case and any equivalent version spelling is accepted.
 */
public final class NupkgDownloadHandler implements Handler<RoutingContext> {
  private final LocalFolderFeed feed;

  public NupkgDownloadHandler(LocalFolderFeed feed) {
    this.feed = feed;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Optional<NuGetVersion> version = NuGetVersion.parse(ctx.pathParam("version"));
    String file = ctx.pathParam("file");
    if (!PackageId.isValid(id) || version.isEmpty()
        || !file.equalsIgnoreCase(id + "." + version.get().lowerNormalized() + ".nupkg")) {
      ErrorResponder.send(ctx.response(), Rejection.notFound("No such package file"));
      return;
    }
    String key = LocalFolderFeed.nupkgKey(id, version.get().normalized());
    feed.nupkg(id, version.get().normalized()).onComplete(ar -> {
      if (ar.failed()) {
        BlobDownload.failed(ctx, ar.cause());
      } else if (ar.result().isEmpty()) {
        ErrorResponder.send(ctx.response(), Rejection.notFound(
            "No package with ID '" + id + "' and version '" + version.get() + "' in this feed"));
      } else {
        BlobDownload.send(ctx, feed.blobs(), key, ar.result().get(), "application/octet-stream");
      }
    });
  }
}
