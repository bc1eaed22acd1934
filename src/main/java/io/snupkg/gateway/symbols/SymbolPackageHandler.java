package io.snupkg.gateway.symbols;

import io.snupkg.gateway.http.ErrorResponder;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.storage.BlobDownload;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.SymbolPackageRecord;
import io.snupkg.gateway.storage.SymbolPushRule;
import io.snupkg.gateway.storage.SymbolRecords;
import io.snupkg.gateway.validation.NuGetVersion;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code GET /api/v2/symbolpackage/{id}/{version}}: the snupkg being served (the available one), streamed; and
 * {@code .../status}: DESIGN's {@code {"id", "version", "state", "reasons"}}, so a CI job can wait for its
 * symbols to be published. The version is normalized and the id compared case-insensitively, as for pushes.
 */
public final class SymbolPackageHandler implements Handler<RoutingContext> {
  private final SymbolRecords symbols;
  private final BlobStore blobs;
  private final boolean status;

  private SymbolPackageHandler(SymbolRecords symbols, BlobStore blobs, boolean status) {
    this.symbols = symbols;
    this.blobs = blobs;
    this.status = status;
  }

  public static SymbolPackageHandler download(SymbolRecords symbols, BlobStore blobs) {
    return new SymbolPackageHandler(symbols, blobs, false);
  }

  public static SymbolPackageHandler status(SymbolRecords symbols, BlobStore blobs) {
    return new SymbolPackageHandler(symbols, blobs, true);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Optional<String> version = NuGetVersion.parse(ctx.pathParam("version")).map(NuGetVersion::normalized);
    if (version.isEmpty()) {
      ErrorResponder.send(ctx.response(), Rejection.notFound("'" + ctx.pathParam("version") + "' is not a NuGet version"));
      return;
    }
    symbols.record(id, version.get())
        .compose(record -> record.isEmpty()
            ? Future.failedFuture(Rejection.notFound("No symbol package for " + id + " " + version.get() + " was pushed"))
            : status ? sendStatus(ctx, record.get()) : sendSnupkg(ctx, record.get()))
        .onFailure(err -> ErrorResponder.send(ctx.response(), err instanceof Rejection r ? r
            : Rejection.unavailable("Storage is unavailable; retry later", java.time.Duration.ofSeconds(10))));
  }

  private static Future<Void> sendStatus(RoutingContext ctx, SymbolPackageRecord record) {
    return ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(record.status().encode());
  }

  private Future<Void> sendSnupkg(RoutingContext ctx, SymbolPackageRecord record) {
    if (record.available().isEmpty()) {
      return Future.failedFuture(Rejection.notFound("The symbol package for " + record.id() + " " + record.version()
          + " is not published (state: " + record.status().getString("state") + ")"));
    }
    String sha512 = record.available().get().sha512();
    String key = SymbolPushRule.snupkgKey(record.id(), record.version(), sha512);
    return blobs.stat(key).compose(blob -> {
      if (blob.isEmpty()) {
        return Future.failedFuture(Rejection.notFound("The symbol package file is missing"));
      }
      ctx.response().putHeader(HttpHeaders.ETAG, "\"" + sha512.substring(0, 32) + "\"")
          .putHeader("Content-Disposition", "attachment; filename=\"" + record.id() + "." + record.version()
              + ".snupkg\"");
      BlobDownload.send(ctx, blobs, key, blob.get(), "application/octet-stream");
      return Future.succeededFuture();
    });
  }
}
