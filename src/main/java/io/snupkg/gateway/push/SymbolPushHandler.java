package io.snupkg.gateway.push;

import io.snupkg.gateway.feed.PackageFeed;
import io.snupkg.gateway.http.Rejection;
import io.snupkg.gateway.metrics.GatewayMetrics;
import io.snupkg.gateway.metrics.GatewayMetrics.FeedResult;
import io.snupkg.gateway.storage.BlobStore;
import io.snupkg.gateway.storage.SymbolPackageRecord.Upload;
import io.snupkg.gateway.storage.SymbolPushRule;
import io.snupkg.gateway.storage.SymbolRecords;
import io.snupkg.gateway.storage.SymbolRecords.Push;
import io.snupkg.gateway.validation.PackageInspector;
import io.snupkg.gateway.validation.PackageManifest;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/**
 * {@code PUT /api/v2/symbolpackage[/]}: NuGet's {@code SymbolPackagePublish/4.9.0}. After the shared steps of
 * {@link UploadPipeline}: the parent nupkg must be in the feed (404), a different snupkg still pending for the
 * same id and version is a conflict (409), and a byte-identical re-push, a client retrying after a lost
 * response, is accepted again (201) without storing anything twice. Anything else becomes the pending push
 * (the available one stays served) and is queued for publishing; {@link SymbolRecords#accept} decides.
 */
public final class SymbolPushHandler implements Handler<RoutingContext> {
  static final String NOUN = "symbol package";

  private final UploadPipeline pipeline;
  private final PackageFeed feed;
  private final SymbolRecords symbols;
  private final BlobStore blobs;
  private final long limit;
  private final Clock clock;
  private final GatewayMetrics metrics;

  public SymbolPushHandler(UploadPipeline pipeline, PackageFeed feed, SymbolRecords symbols, BlobStore blobs,
      long limit, Clock clock, GatewayMetrics metrics) {
    this.metrics = metrics;
    this.pipeline = pipeline;
    this.feed = feed;
    this.symbols = symbols;
    this.blobs = blobs;
    this.limit = limit;
    this.clock = clock;
  }

  @Override
  public void handle(RoutingContext ctx) {
    pipeline.run(ctx.request(), limit, PackageInspector.Kind.SYMBOLS, NOUN, upload -> decide(ctx, upload));
  }

  private Future<Integer> decide(RoutingContext ctx, UploadPipeline.Upload upload) {
    PackageManifest m = upload.manifest();
    String sha512 = upload.body().sha512();
    return feed.lookup(m.id(), m.version())
        .andThen(ar -> metrics.feedLookup(ar.failed() ? FeedResult.UNAVAILABLE
            : ar.result().found() ? FeedResult.FOUND : FeedResult.MISSING))
        .compose(lookup -> lookup.found() ? Future.succeededFuture(lookup)
            : Future.failedFuture(Rejection.parentMissing(m.id(), m.version())))
        .compose(lookup -> symbols.accept(
            new Push(m.id(), m.version(), new Upload(sha512, upload.body().size(), upload.subject(), clock.instant()),
                !upload.ownsId()),
            () -> blobs.putFile(SymbolPushRule.snupkgKey(m.id(), m.version(), sha512), upload.body().path()))
            .map(accepted -> {
              if (!lookup.lagged().isZero()) { // accepted, but the user should know why it may take a while
                ctx.response().headers().add(Admission.WARNING_HEADER, "The feed listed " + m.id() + " "
                    + m.version() + " only after " + Math.max(1, Math.round(lookup.lagged().toMillis() / 1000.0))
                    + " s; the symbols are pending until the feed also serves the package");
              }
              return 201;
            }));
  }
}
